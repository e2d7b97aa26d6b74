package io.alignstream.app;

import io.alignstream.broker.ClusterOptions;
import io.alignstream.broker.RunSession;
import io.alignstream.learner.RecipeOptions;
import io.alignstream.schemas.Topics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code alignstream replay}: a recorded run's data, trained again by a new learner. Only wiring: see {@link Replay}. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = {
        "Trains a new learner on what run A recorded, without sampling again: A's demonstrations and generations "
            + "(with the token ids, policy versions and behaviour log-probs the samplers recorded) are copied into "
            + "run B's topics in A's order, then B's learner does SFT and one update per loop.prompts_per_update of "
            + "A's batches, in A's batch order and composition.",
        "",
        "B starts from A's π_0 and A's recipe, both read from A's topics; --recipe and --set change that recipe "
            + "(e.g. --set policy.lr=1e-3 or --set policy.objective=dpo). Each batch is scored by B's own reward "
            + "model just before the update that uses it, and the recorded log-probs are the behaviour policy π_β "
            + "(off-policy for B: policy.importance_cap applies). samples.per_prompt and loop.rounds cannot change "
            + "what was recorded; loop.max_updates bounds the updates (0: every recorded batch).",
        "",
        "Replaying the same run with the same settings gives bit-identical weights. B is a complete run: its "
            + "scored samples, batches, metrics and final models are in its topics (dashboard, export, replay "
            + "again), and the models are written to --out.",
        "",
        "Recipe keys:"})
public final class ReplayCommand implements Callable<Integer> {
  @Option(names = "--from-run", required = true, paramLabel = "A", description = "The recorded run.")
  private String fromRun;

  @Option(names = "--as", required = true, paramLabel = "B",
      description = "The new run's id; its topics must hold no data yet.")
  private String asRun;

  @Mixin
  private RecipeOptions recipe = new RecipeOptions();

  @Option(names = "--out", paramLabel = "DIR",
      description = "Where B's final models go: DIR/policy (model directory), DIR/reward (ensemble) and "
          + "DIR/replay.json (what was replayed, with weight checksums). Default: runs/<B>.")
  private Path out;

  /** --bootstrap, --kafka-config, --data-dir, --replication-factor: where the run's topics live. */
  @Mixin
  private ClusterOptions kafka = new ClusterOptions();

  @Mixin
  private TorchThreads threads = new TorchThreads();

  @Override
  public Integer call() throws Exception {
    threads.apply();
    var config = new Replay.Config(fromRun, asRun, recipe.file(), recipe.overrides(),
        out != null ? out : Path.of("runs", asRun),
        Duration.ofMinutes(2));
    PrintStream log = System.out;
    try (RunSession session = kafka.open(Topics.forRun(asRun), System.err)) {
      Replay.Result r = Replay.run(session.connection(), config, log);
      log.printf(Locale.ROOT, "replayed %s as %s: SFT on %d demonstrations, %d updates on %d of %d recorded batches%n",
          fromRun, asRun, r.demonstrations(), r.updates(), r.batchesTrained(), r.batchesRecorded());
      log.println("policy: " + r.policyDir().toAbsolutePath() + "  sha256 " + r.policySha256());
      log.println("reward: " + r.rewardDir().toAbsolutePath() + "  sha256 " + r.rewardSha256());
    }
    return 0;
  }
}
