package io.alignstream.app;

import picocli.CommandLine;

/** The one list of subcommands that come from other modules, in the order {@code --help} shows them. */
final class Subcommands {
  private Subcommands() {}

  static void register(CommandLine cli) {
    // Added as each service module provides its command.
  }
}
