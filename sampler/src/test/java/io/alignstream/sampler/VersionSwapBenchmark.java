package io.alignstream.sampler;

import io.alignstream.broker.BrokerConfig;
import io.alignstream.broker.EmbeddedBroker;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.Topics;
import io.alignstream.testkit.ScratchDirectory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Not a test: the time from a new policy version being published to every sampler generating with
 * it, the whole path: the learner-style publish (chunks + manifest, one transaction), each sampler
 * process fetching and verifying it, loading it into its model, finishing the batch it was in, and
 * generating with the new weights. Sampler processes ({@link SamplerMain}) run busy, fed a steady
 * stream of prompts; versions of the tiny policy are published one at a time, each once every
 * sampler has taken the last. Three clocks per sampler and version: until it had <em>loaded</em> the
 * version into its model (its {@code version-loaded} event's time; it starts its next batch with it),
 * until its first generation stamped with the version was <em>made</em> (the record's createdAtMs,
 * set when the batch's generate call returns), and until that was <em>committed and visible</em> to a
 * read_committed reader. Wall clocks are the machine's, shared by the processes. Run with
 * {@code bench/weights/run.sh}.
 */
public final class VersionSwapBenchmark {
  private static final int K = 4;

  public static void main(String[] args) throws Exception {
    int versions = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int replicas = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int promptsPerBatch = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    if (versions < 1 || replicas < 1 || promptsPerBatch < 1) {
      throw new IllegalArgumentException(
          "usage: VersionSwapBenchmark [versions ≥ 1] [sampler processes ≥ 1] [prompts per batch ≥ 1]");
    }
    try (ScratchDirectory scratch = ScratchDirectory.create("swap-bench-");
        EmbeddedBroker broker = EmbeddedBroker.start(BrokerConfig.ephemeral(scratch.resolve("kafka")))) {
      KafkaConnection kafka = broker.connection();
      Topics topics = Topics.forRun("swap-" + System.nanoTime() % 100000);
      try (TopicAdmin admin = TopicAdmin.open(kafka)) {
        admin.ensure(topics);
      }
      try (UpstreamStub upstream = new UpstreamStub(kafka, topics);
          var watcher = new Watcher(kafka, topics)) {
        upstream.publishVersion("policy", 0);
        AtomicBoolean feeding = new AtomicBoolean(true);
        Thread feeder = new Thread(() -> feed(upstream, feeding), "prompt-feeder");
        feeder.start();
        List<Process> samplers = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int r = 0; r < replicas; r++) {
          ids.add("swap-" + r);
          samplers.add(SamplerScalingBenchmark.start(kafka.bootstrapServers(), topics, ids.get(r), K, promptsPerBatch,
              scratch.path()));
        }
        try {
          watcher.awaitAll(ids, 0, Duration.ofMinutes(3)); // start-up: JVMs, libtorch, v0, first batches
          double[][] made = new double[versions][]; // (versions, replicas) ms
          double[][] visible = new double[versions][]; // (versions, replicas) ms
          long[] publishedMs = new long[versions];
          int payloadBytes = 0;
          for (int v = 1; v <= versions; v++) {
            byte[] payload = upstream.randomWeights(v); // made before the clock starts, as the learner's checkpoint is
            payloadBytes = payload.length;
            long t0Nanos = System.nanoTime();
            long t0Ms = System.currentTimeMillis();
            publishedMs[v - 1] = t0Ms;
            upstream.publishWeights("policy", v, payload, Map.of());
            Map<String, Watcher.Seen> seen = watcher.awaitAll(ids, v, Duration.ofSeconds(60));
            made[v - 1] = ids.stream().mapToDouble(id -> seen.get(id).createdAtMs() - t0Ms).toArray();
            visible[v - 1] = ids.stream().mapToDouble(id -> (seen.get(id).seenNanos() - t0Nanos) / 1e6).toArray();
            Thread.sleep(300);
          }
          double[][] loaded = loadedMs(upstream, ids, publishedMs);
          print(versions, replicas, promptsPerBatch, payloadBytes / 1e6, loaded, made, visible);
        } finally {
          feeding.set(false);
          feeder.join();
          for (Process p : samplers) {
            p.destroy();
          }
          for (Process p : samplers) {
            p.waitFor();
          }
        }
      }
    }
  }

  /** Per version and sampler, ms from the publish to its {@code version-loaded} event. */
  static double[][] loadedMs(UpstreamStub upstream, List<String> ids, long[] publishedMs) {
    Map<String, Long> at = new HashMap<>(); // "samplerId v" → event time
    for (var e : upstream.events()) {
      if (e.getKind().equals("version-loaded") && ids.contains(e.getSource())) {
        at.putIfAbsent(e.getSource() + " v" + e.getAttributes().get("version"), e.getTimestampMs());
      }
    }
    double[][] out = new double[publishedMs.length][];
    for (int v = 1; v <= publishedMs.length; v++) {
      int version = v;
      out[v - 1] = ids.stream().mapToDouble(id -> {
        Long t = at.get(id + " v" + version);
        if (t == null) {
          throw new IllegalStateException(id + " has no version-loaded event for v" + version);
        }
        return t - publishedMs[version - 1];
      }).toArray();
    }
    return out;
  }

  /** Keeps the samplers busy: 8 new prompts every 50 ms, more than they answer. */
  static void feed(UpstreamStub upstream, AtomicBoolean feeding) {
    int next = 0;
    while (feeding.get()) {
      upstream.publishPrompts(next, next + 8, 0);
      next += 8;
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static void print(int versions, int replicas, int promptsPerBatch, double mb, double[][] loaded,
      double[][] made, double[][] visible) {
    System.out.printf(Locale.ROOT, "tiny policy, %.1f MB of weights; %d sampler processes, K = %d, %d prompts a batch, "
        + "≤ 16 new tokens; %d versions%n%n", mb, replicas, K, promptsPerBatch, versions);
    System.out.println("| prompts a batch | publish → | every sampler, median ms | every sampler, max ms "
        + "| first sampler, median ms |");
    System.out.println("|---|---|---|---|---|");
    row(promptsPerBatch, "loaded, its next batch generates with it", loaded);
    row(promptsPerBatch, "first generation with it made (that batch done)", made);
    row(promptsPerBatch, "its generations committed and visible", visible);
  }

  private static void row(int promptsPerBatch, String what, double[][] perVersion) {
    double[] every = Arrays.stream(perVersion).mapToDouble(r -> Arrays.stream(r).max().orElseThrow()).toArray();
    double[] first = Arrays.stream(perVersion).mapToDouble(r -> Arrays.stream(r).min().orElseThrow()).toArray();
    System.out.printf(Locale.ROOT, "| %d | %s | %.0f | %.0f | %.0f |%n", promptsPerBatch, what, median(every),
        Arrays.stream(every).max().orElseThrow(), median(first));
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** Reads the committed generations as they come: per sampler, the first of each version. */
  static final class Watcher implements AutoCloseable {
    record Seen(long createdAtMs, long seenNanos) {}

    private final KafkaConsumer<String, Generation> consumer;
    private final Map<String, Map<Long, Seen>> firsts = new HashMap<>(); // samplerId → version → first

    Watcher(KafkaConnection kafka, Topics topics) {
      Map<String, Object> config = new HashMap<>(kafka.readerConfig("swap-watcher"));
      config.put("isolation.level", "read_committed");
      config.put("fetch.max.wait.ms", "5");
      consumer = new KafkaConsumer<>(config, topics.generations.keySerde().deserializer(),
          topics.generations.valueSerde().deserializer());
      List<TopicPartition> partitions = consumer.partitionsFor(topics.generations.name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
    }

    /** Waits until every sampler of {@code ids} has a committed generation of {@code version}. */
    Map<String, Seen> awaitAll(List<String> ids, long version, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        Map<String, Seen> got = new HashMap<>();
        for (String id : ids) {
          Seen s = firsts.getOrDefault(id, Map.of()).get(version);
          if (s != null) {
            got.put(id, s);
          }
        }
        if (got.size() == ids.size()) {
          return got;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("version " + version + " not generated by every sampler within " + timeout
              + "; seen: " + got.keySet());
        }
        for (var r : consumer.poll(Duration.ofMillis(20))) {
          Generation g = r.value();
          long now = System.nanoTime();
          firsts.computeIfAbsent(g.getSamplerId(), x -> new HashMap<>())
              .putIfAbsent(g.getPolicyVersion(), new Seen(g.getCreatedAtMs(), now));
        }
      }
    }

    @Override
    public void close() {
      consumer.close();
    }
  }
}
