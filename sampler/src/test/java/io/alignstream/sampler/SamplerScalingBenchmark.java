package io.alignstream.sampler;

import io.alignstream.broker.BrokerConfig;
import io.alignstream.broker.EmbeddedBroker;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.ScratchDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Not a test: generations per second with 1, 2 and 3 sampler processes ({@link SamplerMain}) sharing
 * one run's prompts on an embedded broker. Each configuration gets a fresh run: a tiny random policy
 * v0 and N prompts are published first, then the replicas start. Two clocks: from the replicas' start
 * (JVM and libtorch start-up included) and from the first committed generation (steady state), both
 * until N × K generations are committed. Run with {@code bench/sampler/run.sh}.
 */
public final class SamplerScalingBenchmark {
  public static void main(String[] args) throws Exception {
    int prompts = args.length > 0 ? Integer.parseInt(args[0]) : 240;
    int k = 4;
    try (ScratchDirectory scratch = ScratchDirectory.create("sampler-bench-");
        EmbeddedBroker broker = EmbeddedBroker.start(BrokerConfig.ephemeral(scratch.resolve("kafka")))) {
      Path dir = scratch.path();
      var kafka = broker.connection();
      System.out.printf(Locale.ROOT, "| sampler processes | generations | s from start | s steady | "
          + "generations/s steady | tokens/s steady |%n");
      System.out.printf(Locale.ROOT, "|---|---|---|---|---|---|%n");
      for (int replicas = 1; replicas <= 3; replicas++) {
        Topics topics = Topics.forRun("scale-" + replicas + "-" + System.nanoTime() % 100000);
        try (TopicAdmin admin = TopicAdmin.open(kafka)) {
          admin.ensure(topics);
        }
        try (UpstreamStub upstream = new UpstreamStub(kafka, topics)) {
          upstream.publishVersion("policy", 0);
          upstream.publishPrompts(0, prompts, 0);
          List<Process> ps = new ArrayList<>();
          long t0 = System.nanoTime();
          for (int r = 0; r < replicas; r++) {
            ps.add(start(kafka.bootstrapServers(), topics, "bench-" + r, k, 8, dir));
          }
          long expected = (long) prompts * k;
          long seen;
          long tokens = 0;
          long first = 0;
          while (true) {
            var gens = upstream.generations();
            seen = gens.size();
            if (first == 0 && seen > 0) {
              first = System.nanoTime();
            }
            if (seen >= expected) {
              tokens = gens.stream().mapToLong(g -> g.getResponseTokenIds().size()).sum();
              break;
            }
            Thread.sleep(100);
          }
          long end = System.nanoTime();
          double total = (end - t0) / 1e9;
          double steady = (end - first) / 1e9;
          System.out.printf(Locale.ROOT, "| %d | %d | %.1f | %.1f | %.0f | %.0f |%n", replicas, seen, total, steady,
              seen / steady, tokens / steady);
          for (Process p : ps) {
            p.destroy();
          }
          for (Process p : ps) {
            p.waitFor();
          }
        }
      }
    }
  }

  /** A sampler process of run {@code topics} (pacing and the in-flight gate off), its output in {@code dir/id.log}. */
  static Process start(String bootstrap, Topics topics, String id, int k, int promptsPerBatch, Path dir)
      throws Exception {
    return start(bootstrap, topics, id, k, promptsPerBatch, dir, "512m");
  }

  /** As {@link #start(String, Topics, String, int, int, Path)} with the sampler JVM's {@code -Xmx}. */
  static Process start(String bootstrap, Topics topics, String id, int k, int promptsPerBatch, Path dir, String heap)
      throws Exception {
    return start(bootstrap, topics, id, k, promptsPerBatch, dir, heap, List.of());
  }

  /** As {@link #start(String, Topics, String, int, int, Path, String)} with more JVM options (e.g. the JVM decoder's). */
  static Process start(String bootstrap, Topics topics, String id, int k, int promptsPerBatch, Path dir, String heap,
      List<String> jvmOptions) throws Exception {
    var cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heap));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of(
        "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), SamplerMain.class.getName(),
        "--bootstrap", bootstrap, "--run", topics.runId(), "--sampler-id", id, "--samples-per-prompt",
        Integer.toString(k), "--prompts-per-batch", Integer.toString(promptsPerBatch), "--max-new-tokens", "16", "--max-prompts-per-version", "0",
        "--max-lag", "0", "--threads", "1"));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(id + ".log").toFile()).start();
  }
}
