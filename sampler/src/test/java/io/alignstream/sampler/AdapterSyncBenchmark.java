package io.alignstream.sampler;

import io.alignstream.broker.BrokerConfig;
import io.alignstream.broker.EmbeddedBroker;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.Policy;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.llama.LlamaConfig;
import io.alignstream.model.lora.LoraConfig;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.ScratchDirectory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Not a test: one weight sync, whole weights against a LoRA adapter, measured to a sampler generating
 * with the new version, side by side in one run on one broker. Each mode runs its own sampler process
 * on its own run's topics: whole versions of a policy line, or π_0 once on the base line and then
 * adapter versions of the policy line (rank R on every linear layer), which the sampler merges into a
 * working copy of the targeted matrices. Per version: payload bytes, the publish call (chunks acked),
 * publish to the sampler's {@code version-loaded} event, and publish to its first committed generation
 * of that version. Run with {@code bench/weights/lora.sh}.
 *
 * <p>Arguments: [preset=tiny|smollm2] [versions=3] [rank=8] [sampler heap=1g] [decoder=torch|jvm]: where the
 * sampler decodes ({@code jvm}: Java's Vector API, which copies each version's weights onto the heap).
 */
public final class AdapterSyncBenchmark {
  private AdapterSyncBenchmark() {}

  public static void main(String[] args) throws Exception {
    String preset = args.length > 0 ? args[0] : "tiny";
    int versions = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int rank = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    String heap = args.length > 3 ? args[3] : "1g";
    String decoder = args.length > 4 ? args[4] : "torch";
    List<String> jvm = switch (decoder) {
      case "torch" -> List.of("-Dalignstream.decoder=torch");
      case "jvm" -> List.of("--add-modules", "jdk.incubator.vector", "-Dalignstream.decoder=jvm");
      default -> throw new IllegalArgumentException("decoder must be torch or jvm, got " + decoder);
    };
    LoraConfig lora = new LoraConfig(rank, 2.0 * rank, 0, List.of(LoraConfig.ALL_LINEAR));
    try (ScratchDirectory scratch = ScratchDirectory.create("adapter-sync-");
        EmbeddedBroker broker = EmbeddedBroker.start(BrokerConfig.ephemeral(scratch.resolve("kafka")))) {
      KafkaConnection kafka = broker.connection();
      long run = System.nanoTime() % 100000;
      double[][] full = measure(kafka, Topics.forRun("sync-full-" + run), preset, versions, null, heap, jvm, scratch);
      double[][] adapter = measure(kafka, Topics.forRun("sync-lora-" + run), preset, versions, lora, heap, jvm, scratch);
      System.out.printf(Locale.ROOT, "%s; %d versions each; one sampler process (K = 1, 1 prompt a batch, "
          + "≤ 16 new tokens, -Xmx%s, decoding on %s); LoRA rank %d, alpha %.0f, every linear layer%n%n", preset,
          versions, heap, decoder, rank, lora.alpha());
      System.out.println("| sync | payload bytes | publish s | publish → loaded, median s | publish → generating "
          + "with it (committed), median s | max s |");
      System.out.println("|---|---|---|---|---|---|");
      row("whole weights", full);
      row("LoRA adapter", adapter);
      System.out.printf(Locale.ROOT, "%nadapter / whole: %.2f%% of the bytes, %.1fx faster to a sampler generating with it%n",
          100 * adapter[0][0] / full[0][0], VersionSwapBenchmark.median(full[3]) / VersionSwapBenchmark.median(adapter[3]));
    }
  }

  private static ModelConfig shape(String preset, int vocab, int eos) {
    return switch (preset) {
      case "tiny" -> Gpt2Config.tiny(vocab, eos);
      case "smollm2" -> LlamaConfig.smolLm2();
      default -> throw new IllegalArgumentException("preset must be tiny or smollm2, got " + preset);
    };
  }

  /**
   * One mode's versions.
   *
   * @param lora null for whole weights
   * @return {bytes per version, publish s, loaded s, generating s}, each (versions)
   */
  private static double[][] measure(KafkaConnection kafka, Topics topics, String preset, int versions, LoraConfig lora,
      String heap, List<String> jvm, ScratchDirectory scratch) throws Exception {
    try (TopicAdmin admin = TopicAdmin.open(kafka)) {
      admin.ensure(topics);
    }
    String id = lora == null ? "sync-full" : "sync-lora";
    try (UpstreamStub upstream = new UpstreamStub(kafka, topics, t -> shape(preset, t.vocabSize(), t.eosId()));
        var watcher = new VersionSwapBenchmark.Watcher(kafka, topics);
        Policy base = Policy.create(upstream.config, 1000)) {
      if (lora == null) {
        upstream.publishWeights("policy", 0, base.weightsToBytes(), Map.of());
      } else {
        upstream.publishWeights("base", 0, base.weightsToBytes(), Map.of());
        try (Policy v0 = base.withAdapter(lora, 0)) {
          upstream.publishAdapter("policy", 0, v0, Map.of());
        }
      }
      AtomicBoolean feeding = new AtomicBoolean(true);
      Thread feeder = new Thread(() -> VersionSwapBenchmark.feed(upstream, feeding), "prompt-feeder");
      feeder.start();
      Process sampler = SamplerScalingBenchmark.start(kafka.bootstrapServers(), topics, id, 1, 1, scratch.path(), heap,
          jvm);
      double[][] out = new double[4][versions];
      long[] publishedMs = new long[versions];
      try {
        watcher.awaitAll(List.of(id), 0, Duration.ofMinutes(5));
        for (int v = 1; v <= versions; v++) {
          // The payload is made before the clock starts, as the learner's checkpoint is.
          Policy next = lora == null ? Policy.create(upstream.config, 1000 + v) : base.withAdapter(lora, v);
          try (next) {
            byte[] payload = lora == null ? next.weightsToBytes() : next.adapterToBytes();
            long t0Nanos = System.nanoTime();
            publishedMs[v - 1] = System.currentTimeMillis();
            if (lora == null) {
              upstream.publishWeights("policy", v, payload, Map.of());
            } else {
              upstream.publishAdapter("policy", v, next, Map.of());
            }
            out[1][v - 1] = (System.nanoTime() - t0Nanos) / 1e9;
            var seen = watcher.awaitAll(List.of(id), v, Duration.ofMinutes(3));
            out[0][v - 1] = payload.length;
            out[3][v - 1] = (seen.get(id).seenNanos() - t0Nanos) / 1e9;
          }
          Thread.sleep(300);
        }
        double[][] loaded = VersionSwapBenchmark.loadedMs(upstream, List.of(id), publishedMs);
        for (int v = 0; v < versions; v++) {
          out[2][v] = loaded[v][0] / 1e3;
        }
        return out;
      } finally {
        feeding.set(false);
        feeder.join();
        sampler.destroy();
        sampler.waitFor();
      }
    }
  }

  private static void row(String what, double[][] m) {
    System.out.printf(Locale.ROOT, "| %s | %,.0f | %.2f | %.2f | %.2f | %.2f |%n", what, m[0][0],
        VersionSwapBenchmark.median(m[1]), VersionSwapBenchmark.median(m[2]), VersionSwapBenchmark.median(m[3]),
        Arrays.stream(m[3]).max().orElseThrow());
  }
}
