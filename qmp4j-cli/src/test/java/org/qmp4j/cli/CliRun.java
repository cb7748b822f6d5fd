package org.qmp4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** What one in-process run of the command line printed and returned. */
record CliRun(int status, String out, String err) {

  /** Runs {@code qmp4j args...} in this process, as {@link Main} does, without exiting. */
  static CliRun run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new CliRun(status, out.toString(), err.toString());
  }
}
