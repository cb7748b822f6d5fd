package org.qmp4j.cli;

/** Entry point of the {@code qmp4j} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("qmp4j: not there yet");
  }
}
