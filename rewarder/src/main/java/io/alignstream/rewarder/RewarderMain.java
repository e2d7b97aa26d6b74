package io.alignstream.rewarder;

import picocli.CommandLine;

/**
 * Runs {@link RewarderCommand} as its own program (e.g. {@code java -cp ... io.alignstream.rewarder.RewarderMain});
 * the {@code alignstream} launcher registers the command as {@code alignstream rewarder}.
 */
public final class RewarderMain {
  private RewarderMain() {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new RewarderCommand()).execute(args));
  }
}
