package io.alignstream.app;

import io.alignstream.learner.LearnerCommand;
import io.alignstream.learner.LearnerService;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine;

/**
 * {@code alignstream learner} whose JVM halts right after checkpointing one version, before publishing
 * it: the one moment where the checkpoint and Kafka disagree. The fault comes in as a listener; the
 * production learner has no such flag. Arguments: the version, then the learner's options.
 */
final class HaltingLearner {
  private HaltingLearner() {}

  public static void main(String[] args) {
    long haltAfter = Long.parseLong(args[0]);
    LearnerService.Listener halt = new LearnerService.Listener() {
      @Override
      public void checkpointed(long version, Path checkpoint) {
        if (version == haltAfter) {
          System.err.println("halting after checkpoint v" + version + " (" + checkpoint + ")");
          Runtime.getRuntime().halt(137);
        }
      }
    };
    System.setProperty("ai.djl.offline", "true");
    CommandLine cli = LearnerCommand.withRecipeHelp(new CommandLine(new LearnerCommand(halt)));
    System.exit(cli.execute(Arrays.copyOfRange(args, 1, args.length)));
  }
}
