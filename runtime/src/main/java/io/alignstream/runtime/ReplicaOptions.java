package io.alignstream.runtime;

import io.alignstream.broker.DurationConverter;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The options of a command that runs a model replica on the {@link Replica} runtime (sampler, rewarder)
 * beyond its run: how long start-up waits for the line's first weights. A command names its own id
 * option ({@code --sampler-id}, {@code --rewarder-id}), since the two stay distinct on the command
 * line, and describes it with {@link #ID_HELP}.
 */
public final class ReplicaOptions {
  /** What a replica id is for and why a restarted replica should keep it. */
  public static final String ID_HELP = "This replica's id: metrics source and part of its transactional id. Give a "
      + "restarted replica the same id so it fences its predecessor at once. Default: <hostname>-<pid>.";

  @Option(names = "--weights-timeout", paramLabel = "DURATION", defaultValue = "5m", converter = DurationConverter.class,
      description = "How long start-up waits for the line's first weights, e.g. 90s, 5m, PT1H. Default: ${DEFAULT-VALUE}.")
  private Duration weightsTimeout;

  public Duration weightsTimeout() {
    return weightsTimeout;
  }
}
