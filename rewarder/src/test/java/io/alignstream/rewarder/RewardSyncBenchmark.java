package io.alignstream.rewarder;

import io.alignstream.broker.BrokerConfig;
import io.alignstream.broker.EmbeddedBroker;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.model.Example;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.RewardHeads;
import io.alignstream.model.RewardModel;
import io.alignstream.model.RewardScorer;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.llama.LlamaConfig;
import io.alignstream.runtime.LiveModel;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.runtime.WeightPublisher;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.ScratchDirectory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Not a test: one reward sync under {@code reward.backbone=frozen}, the whole ensemble (K backbones, as before)
 * against its heads alone over π_0, side by side on one embedded broker. Per version: payload bytes, encoding
 * it (the whole ensemble's {@code weightsToBytes}; the heads' {@code toBytes}), the publish call (chunks
 * acked, one transaction), and the rewarder's build of the version from the payload ({@link LiveModel} with
 * the rewarder's factories, in this process; the heads' first version includes loading π_0); then the largest difference between the two modes' scores and
 * one scoring call of each. Run with {@code bench/weights/reward-heads.sh}.
 *
 * <p>Arguments: [preset=tiny|smollm2] [members=3] [versions=3].
 */
public final class RewardSyncBenchmark {
  private RewardSyncBenchmark() {}

  public static void main(String[] args) throws Exception {
    String preset = args.length > 0 ? args[0] : "tiny";
    int members = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int versions = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    try (ScratchDirectory scratch = ScratchDirectory.create("reward-sync-");
        EmbeddedBroker broker = EmbeddedBroker.start(BrokerConfig.ephemeral(scratch.resolve("kafka")));
        Tokenizer tokenizer = Tokenizer.load(new WordLevelTokenizerBuilder(64).add(TinyRewardLine.CORPUS)
            .write(Files.createDirectories(scratch.resolve("tok")).resolve(Tokenizer.FILE_NAME)))) {
      ModelConfig config = switch (preset) {
        case "tiny" -> Gpt2Config.tiny(tokenizer.vocabSize(), tokenizer.eosId());
        case "smollm2" -> LlamaConfig.smolLm2();
        default -> throw new IllegalArgumentException("preset must be tiny or smollm2, got " + preset);
      };
      Topics topics = Topics.forRun("reward-sync-" + System.nanoTime() % 100000);
      try (TopicAdmin admin = TopicAdmin.open(broker.connection())) {
        admin.ensure(topics);
      }
      Map<String, Object> p = new HashMap<>(broker.connection().transactionalProducerConfig("reward-sync"));
      p.putAll(WeightPublisher.producerOverrides());
      List<Example> xs = examples(tokenizer);
      try (var producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
          Policy base = Policy.create(config, 1000);
          RewardEnsemble ensemble = RewardEnsemble.fromPolicy(base, members, 1, 0.0);
          var whole = new LiveModel<>(ModelLines.REWARD, "rewarder", RewarderService.ENSEMBLE);
          var heads = new LiveModel<>(ModelLines.REWARD, "rewarder", RewarderService.ENSEMBLE, SharedBackbone.serving())) {
        producer.initTransactions();
        var publisher = new Publisher(producer, topics, config.toJson(), tokenizer.toJson());
        double[] baseRow = publisher.send(heads, ModelLines.BASE, 0, PublishedWeights.FULL, base::weightsToBytes,
            Map.of());
        double[][] w = new double[4][versions];
        double[][] h = new double[4][versions];
        double maxDiff = 0;
        double[] scoreS = new double[2];
        SplittableRandom rng = new SplittableRandom(7);
        for (int v = 1; v <= versions; v++) {
          for (RewardModel m : ensemble.members()) { // a version: new heads, the backbone frozen
            float[] head = new float[config.width()];
            for (int j = 0; j < head.length; j++) {
              head[j] = (float) (rng.nextGaussian() * 0.05);
            }
            m.setHead(head, (float) rng.nextGaussian());
          }
          RewardHeads now = RewardHeads.of(ensemble);
          set(w, v - 1, publisher.send(whole, ModelLines.REWARD, v, PublishedWeights.FULL, ensemble::weightsToBytes,
              Map.of()));
          set(h, v - 1, publisher.send(heads, ModelLines.REWARD, v, PublishedWeights.HEADS, now::toBytes,
              Map.of(PublishedWeights.ADAPTER_CONFIG, now.config().toJson(), PublishedWeights.ADAPTER_BASE,
                  ModelLines.BASE)));
          long t0 = System.nanoTime();
          RewardEnsemble.Scores a = whole.withModel(m -> m.model().score(xs));
          long t1 = System.nanoTime();
          RewardEnsemble.Scores b = heads.withModel(m -> m.model().score(xs));
          scoreS[0] = (t1 - t0) / 1e9;
          scoreS[1] = (System.nanoTime() - t1) / 1e9;
          for (int k = 0; k < members; k++) {
            for (int i = 0; i < xs.size(); i++) {
              maxDiff = Math.max(maxDiff, Math.abs(a.perMember()[k][i] - b.perMember()[k][i]));
            }
          }
        }
        System.out.printf(Locale.ROOT, "%s (%,d parameters, width %d); K = %d members; %d versions each; medians%n%n",
            preset, base.parameterCount(), config.width(), members, versions);
        System.out.println("| reward sync | payload bytes | encode s | publish s | rewarder builds v1, s | builds "
            + "later versions, median s |");
        System.out.println("|---|---|---|---|---|---|");
        row("whole ensemble (K backbones + heads)", w);
        row("heads alone over π_0", h);
        System.out.printf(Locale.ROOT, "| π_0 on the base line, once (loaded with v1's heads) | %,.0f | %.2f | %.2f | "
            + "– | – |%n", baseRow[0], baseRow[1], baseRow[2]);
        System.out.printf(Locale.ROOT, "%nheads / whole: %.5f%% of the bytes (%.0fx fewer); scores differ by at most %.2e; "
            + "scoring %d examples: whole %.3f s, heads over one backbone %.3f s%n", 100 * h[0][0] / w[0][0],
            w[0][0] / h[0][0], maxDiff, xs.size(), scoreS[0], scoreS[1]);
      }
    }
  }

  /** Publishes one version in its own transaction and hands it to {@code live}, as the subscriber would. */
  private record Publisher(KafkaProducer<byte[], byte[]> producer, Topics topics, String configJson,
      String tokenizerJson) {
    /** @return {bytes, encode s, publish s, build s} */
    double[] send(LiveModel<RewardScorer> live, String line, long v, String format,
        java.util.function.Supplier<byte[]> encode, Map<String, String> meta) throws Exception {
      long t0 = System.nanoTime();
      byte[] payload = encode.get();
      long t1 = System.nanoTime();
      producer.beginTransaction();
      ModelVersion manifest = new WeightPublisher(producer, topics).publish(line, v, format, payload, configJson,
          tokenizerJson, 0, meta);
      producer.commitTransaction();
      long t2 = System.nanoTime();
      live.onWeights(new PublishedWeights(manifest, payload));
      long t3 = System.nanoTime();
      return new double[] {payload.length, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9};
    }
  }

  private static List<Example> examples(Tokenizer tokenizer) {
    String[] words = TinyRewardLine.CORPUS.split(" ");
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      out.add(new Example(tokenizer.encode("the cat " + words[i]), tokenizer.responseIds("sat on the " + words[i + 3])));
    }
    return out;
  }

  private static void set(double[][] m, int v, double[] row) {
    for (int i = 0; i < row.length; i++) {
      m[i][v] = row[i];
    }
  }

  private static void row(String what, double[][] m) {
    System.out.printf(Locale.ROOT, "| %s | %,.0f | %.3f | %.2f | %.2f | %.3f |%n", what, m[0][0], median(m[1]),
        median(m[2]), m[3][0], median(java.util.Arrays.copyOfRange(m[3], 1, Math.max(2, m[3].length))));
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    java.util.Arrays.sort(s);
    return s[s.length / 2];
  }
}
