package io.alignstream.sampler;

import picocli.CommandLine;

/**
 * Runs {@link SamplerCommand} as its own program: integration tests start replicas as separate OS
 * processes with it; the {@code alignstream} launcher registers the command as {@code alignstream sampler}.
 */
public final class SamplerMain {
  private SamplerMain() {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new SamplerCommand()).execute(args));
  }
}
