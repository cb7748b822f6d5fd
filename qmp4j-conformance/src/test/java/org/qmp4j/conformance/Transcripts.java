package org.qmp4j.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Loads every transcript file ({@code *.qmpt}) of the test resources, in file-name order. */
final class Transcripts {
  static final String DIRECTORY = "transcripts";

  private Transcripts() {}

  static List<Transcript> all() {
    URL url = Transcripts.class.getResource(DIRECTORY);
    if (url == null) {
      throw new IllegalStateException(
          "no " + DIRECTORY + " directory next to " + Transcripts.class);
    }
    List<Transcript> all = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".qmpt")).sorted().toList()) {
        all.addAll(
            TranscriptParser.parse(
                f.getFileName().toString(), Files.readString(f, StandardCharsets.UTF_8)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return all;
  }
}
