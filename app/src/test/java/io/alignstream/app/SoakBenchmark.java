package io.alignstream.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.broker.BrokerConfig;
import io.alignstream.broker.EmbeddedBroker;
import io.alignstream.broker.KafkaConnection;
import io.alignstream.broker.TopicAdmin;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.Policy;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.producer.IngestConfig;
import io.alignstream.producer.IngestService;
import io.alignstream.runtime.ResourceReport;
import io.alignstream.schemas.Metric;
import io.alignstream.schemas.Topics;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.LabelledPair;
import io.alignstream.task.TaskConfig;
import io.alignstream.testkit.ScratchDirectory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Issue #8, bounded resources: the loop runs with no update limit for N minutes (default 20) while
 * every service's memory is sampled; a leak shows as a slope in the second half, once warm-up is over.
 *
 * <p>The sampler, the rewarder and the learner (with its batching topology) each run as their own
 * JVM ({@code alignstream <service>}, {@code -Xmx1g}); the broker and the ingest topology run in this
 * one. Every {@value #TICK_SECONDS} s it reads each service's resident memory from
 * {@code /proc/<pid>/status} and the latest live native arrays, heap, threads and open files the
 * service reported itself ({@link ResourceReport}). It writes {@code soak.csv}, {@code soak-rss.png},
 * {@code soak-arrays.png} and {@code soak-summary.txt}, and exits 1 if a service died or a curve
 * grows in its second half: the growth over that half, estimated with the Theil–Sen slope (the
 * median of the slopes between every pair of samples, so a sample taken mid-step or mid-GC does not
 * sway it), must stay within {@link #tolerance}.
 *
 * <p>Usage: {@code bench/soak/run.sh [minutes] [results dir]}.
 */
final class SoakBenchmark {
  static final int TICK_SECONDS = 10;
  static final List<String> SERVICES = List.of("sampler", "rewarder", "learner");
  /** The source each service reports its metrics under. */
  static final Map<String, String> SOURCES = Map.of("sampler", "s1", "rewarder", "r1", "learner", "learner");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One sample of one service. */
  record Sample(double minutes, String service, long pid, double rssMb, double nativeArrays, double heapMb,
      double threads, double openFiles, long policyVersion) {}

  /** Whether one measure of one service stayed flat over the second half. */
  record Verdict(String service, String measure, double firstHalfMean, double secondHalfMean, double secondHalfMax,
      double driftPerHalf, double tolerance) {
    boolean flat() {
      return driftPerHalf <= tolerance; // only growth is a leak
    }
  }

  private SoakBenchmark() {}

  public static void main(String[] args) throws Exception {
    double minutes = args.length > 0 ? Double.parseDouble(args[0]) : 20;
    Path results = Path.of(args.length > 1 ? args[1] : "bench/soak/results").toAbsolutePath();
    if (!(minutes >= 1)) {
      throw new IllegalArgumentException("minutes must be at least 1, got " + args[0]);
    }
    Files.createDirectories(results);
    Path work = Files.createTempDirectory("alignstream-soak-");
    Instant started = Instant.now();
    Run run;
    try {
      run = run(Duration.ofSeconds((long) (minutes * 60)), work);
    } finally {
      // Keep the services' logs; the broker's data and the checkpoints are hundreds of MB after 20 minutes.
      for (String data : List.of("kafka", "checkpoints", "ingest", ".alignstream", "base")) {
        ScratchDirectory.deleteTree(work.resolve(data));
      }
    }
    List<Verdict> verdicts = judge(run.samples());
    write(results, run, verdicts, minutes, started);
    boolean pass = run.died().isEmpty() && verdicts.stream().allMatch(Verdict::flat);
    System.out.println(Files.readString(results.resolve("soak-summary.txt")));
    System.out.println("logs: " + work);
    System.exit(pass ? 0 : 1);
  }

  /** What a soak saw: the samples, and the services that died (with their exit codes). */
  record Run(List<Sample> samples, Map<String, Integer> died) {}

  static Run run(Duration length, Path work) throws Exception {
    var config = BrokerConfig.of(work.resolve("kafka"), 0, 0);
    try (EmbeddedBroker broker = EmbeddedBroker.start(config)) {
      KafkaConnection kafka = broker.connection();
      Topics topics = Topics.forRun("soak");
      try (TopicAdmin admin = TopicAdmin.open(kafka)) {
        admin.ensure(topics);
      }
      BuiltinTask task = BuiltinTask.generate(TaskConfig.defaults().withCorpusSize(2000));
      Path base = base(work, task);
      try (IngestService ingest = IngestService.start(kafka, topics, IngestConfig.defaults().withStateDir(work.resolve("ingest")))
          .awaitRunning(Duration.ofMinutes(2))) {
        produce(kafka, topics, task.demonstrations().subList(0, 200));
        Map<String, Process> services = new LinkedHashMap<>();
        try {
          services.put("learner", start(work, "learner", kafka, topics, List.of("--base", base.toString(),
              "--checkpoints", work.resolve("checkpoints").toString(), "--min-demonstrations", "100",
              "--batch-wait", "5s", "--idle-flush", "5s",
              "--set", "samples.per_prompt=4", "--set", "sft.steps=30", "--set", "sft.batch=8",
              "--set", "reward.warmup_updates=1", "--set", "loop.prompts_per_update=4",
              "--set", "loop.rounds=1000000", "--set", "loop.max_updates=0", "--set", "policy.max_lag=2")));
          services.put("rewarder", start(work, "rewarder", kafka, topics, List.of("--rewarder-id", "r1",
              "--weights-timeout", "10m")));
          services.put("sampler", start(work, "sampler", kafka, topics, List.of("--sampler-id", "s1", "-k", "4",
              "--prompts-per-batch", "2", "--max-new-tokens", "24", "--max-prompts-per-version", "0",
              "--max-lag", "1", "--weights-timeout", "10m")));
          return sample(kafka, topics, services, length);
        } finally {
          stop(services);
        }
      }
    }
  }

  /** π_0 for the soak: the demo's tiny shape with a word-level vocabulary of the task, untrained (no need). */
  private static Path base(Path work, BuiltinTask task) throws IOException {
    var builder = new WordLevelTokenizerBuilder(2000);
    task.corpus().forEach(e -> builder.add(e.prompt()).add(e.response()));
    Path base = work.resolve("base");
    try (Tokenizer tok = Tokenizer.load(builder.write(work.resolve("tokenizer.json")));
        Policy p = Policy.create(Gpt2Config.tiny(tok.vocabSize(), tok.eosId()), 7)) {
      p.save(base);
      tok.save(base);
    }
    return base;
  }

  private static void produce(KafkaConnection kafka, Topics topics, List<LabelledPair> demos) throws IOException {
    try (var producer = new KafkaProducer<>(kafka.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (LabelledPair d : demos) {
        byte[] json = JSON.writeValueAsBytes(Map.of("prompt", d.prompt(), "response", d.response()));
        producer.send(new ProducerRecord<>(topics.demosRaw.name(), json));
      }
    }
  }

  private static Process start(Path work, String service, KafkaConnection kafka, Topics topics, List<String> options)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
        "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.alignstream.schemas",
        "-cp", absoluteClassPath(), Main.class.getName(), service,
        "--bootstrap", kafka.bootstrapServers(), "--run", topics.runId()));
    cmd.addAll(options);
    return new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(work.resolve(service + ".log").toFile()).start();
  }

  /** This JVM's class path with every entry absolute: the services run in the work directory. */
  private static String absoluteClassPath() {
    return Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .map(e -> Path.of(e).toAbsolutePath().toString())
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }

  private static Run sample(KafkaConnection kafka, Topics topics, Map<String, Process> services, Duration length)
      throws Exception {
    List<Sample> samples = new ArrayList<>();
    Map<String, Integer> died = new LinkedHashMap<>();
    Map<String, Map<String, Double>> latest = new HashMap<>(); // source -> metric -> value
    long[] policyVersion = {-1};
    long t0 = System.nanoTime();
    long ticks = length.toSeconds() / TICK_SECONDS;
    try (var metrics = new KafkaConsumer<>(kafka.readerConfig("soak-sampler"), topics.metrics.keySerde().deserializer(),
        topics.metrics.valueSerde().deserializer())) {
      var partition = new TopicPartition(topics.metrics.name(), 0);
      metrics.assign(List.of(partition));
      metrics.seekToBeginning(List.of(partition));
      for (long tick = 0; tick <= ticks; tick++) {
        long due = t0 + TimeUnit.SECONDS.toNanos(tick * TICK_SECONDS);
        while (System.nanoTime() < due) {
          drain(metrics.poll(Duration.ofMillis(Math.max(1, Math.min(500, (due - System.nanoTime()) / 1_000_000)))),
              latest, policyVersion);
        }
        drain(metrics.poll(Duration.ZERO), latest, policyVersion);
        double minutes = (System.nanoTime() - t0) / 60e9;
        for (String service : SERVICES) {
          Process p = services.get(service);
          if (!p.isAlive()) {
            died.putIfAbsent(service, p.exitValue());
            continue;
          }
          Map<String, Double> m = latest.getOrDefault(SOURCES.get(service), Map.of());
          samples.add(new Sample(minutes, service, p.pid(), rssMb(p.pid()),
              m.getOrDefault(ResourceReport.NATIVE_ARRAYS, Double.NaN), m.getOrDefault(ResourceReport.HEAP_USED_MB, Double.NaN),
              m.getOrDefault(ResourceReport.THREADS, Double.NaN), m.getOrDefault(ResourceReport.OPEN_FILES, Double.NaN),
              policyVersion[0]));
        }
        System.out.printf(Locale.ROOT, "%5.1f min  policy v%d  %s%n", minutes, policyVersion[0],
            samples.subList(Math.max(0, samples.size() - SERVICES.size()), samples.size()).stream()
                .map(s -> String.format(Locale.ROOT, "%s %.0f MiB %.0f arrays", s.service(), s.rssMb(), s.nativeArrays()))
                .toList());
        if (!died.isEmpty()) {
          System.out.println("services died: " + died + "; stopping");
          break;
        }
      }
    }
    return new Run(samples, died);
  }

  private static void drain(Iterable<ConsumerRecord<String, Metric>> records, Map<String, Map<String, Double>> latest,
      long[] policyVersion) {
    for (var r : records) {
      Metric m = r.value();
      latest.computeIfAbsent(m.getSource(), k -> new HashMap<>()).put(m.getName(), m.getValue());
      if (m.getSource().equals("learner")) {
        policyVersion[0] = Math.max(policyVersion[0], m.getPolicyVersion());
      }
    }
  }

  /** {@code VmRSS} of a process in MiB, or NaN when it cannot be read. */
  static double rssMb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // gone, or not Linux
    }
    return Double.NaN;
  }

  private static void stop(Map<String, Process> services) throws InterruptedException {
    services.values().forEach(Process::destroy); // SIGTERM: each closes its clients and checkpoints
    for (Process p : services.values()) {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * How far a measure may drift over the second half and still be flat: 5% of its level, and at
   * least a floor that absorbs sampling noise (RSS moves with GC by tens of MiB; the array count
   * depends on whether a step is in flight when it is read).
   */
  static double tolerance(String measure, double level) {
    double floor = switch (measure) {
      case "rss_mb" -> 32;
      case "native_arrays" -> 20;
      default -> 3;
    };
    return Math.max(floor, 0.05 * Math.abs(level));
  }

  static List<Verdict> judge(List<Sample> samples) {
    Map<String, ToDoubleFunction<Sample>> measures = new LinkedHashMap<>();
    measures.put("rss_mb", Sample::rssMb);
    measures.put("native_arrays", Sample::nativeArrays);
    measures.put("threads", Sample::threads);
    measures.put("open_files", Sample::openFiles);
    double end = samples.stream().mapToDouble(Sample::minutes).max().orElse(0);
    List<Verdict> out = new ArrayList<>();
    for (String service : SERVICES) {
      for (var e : measures.entrySet()) {
        List<double[]> first = new ArrayList<>();
        List<double[]> second = new ArrayList<>();
        for (Sample s : samples) {
          double v = e.getValue().applyAsDouble(s);
          if (s.service().equals(service) && Double.isFinite(v)) {
            (s.minutes() < end / 2 ? first : second).add(new double[] {s.minutes(), v});
          }
        }
        if (second.size() < 3) {
          out.add(new Verdict(service, e.getKey(), Double.NaN, Double.NaN, Double.NaN, Double.POSITIVE_INFINITY, 0));
          continue;
        }
        double mean2 = second.stream().mapToDouble(p -> p[1]).average().orElseThrow();
        double drift = theilSenSlope(second) * (second.get(second.size() - 1)[0] - second.get(0)[0]);
        out.add(new Verdict(service, e.getKey(), first.stream().mapToDouble(p -> p[1]).average().orElse(Double.NaN),
            mean2, second.stream().mapToDouble(p -> p[1]).max().orElseThrow(), drift, tolerance(e.getKey(), mean2)));
      }
    }
    return out;
  }

  /** The Theil–Sen slope of y over x: the median of the slopes between every pair of points. */
  static double theilSenSlope(List<double[]> points) {
    List<Double> slopes = new ArrayList<>();
    for (int i = 0; i < points.size(); i++) {
      for (int j = i + 1; j < points.size(); j++) {
        double dx = points.get(j)[0] - points.get(i)[0];
        if (dx != 0) {
          slopes.add((points.get(j)[1] - points.get(i)[1]) / dx);
        }
      }
    }
    if (slopes.isEmpty()) {
      return 0;
    }
    slopes.sort(null);
    int n = slopes.size();
    return n % 2 == 1 ? slopes.get(n / 2) : (slopes.get(n / 2 - 1) + slopes.get(n / 2)) / 2;
  }

  private static void write(Path results, Run run, List<Verdict> verdicts, double minutes, Instant started)
      throws IOException {
    var csv = new StringBuilder("minutes,service,pid,rss_mb,native_arrays,heap_used_mb,threads,open_files,policy_version\n");
    for (Sample s : run.samples()) {
      csv.append(String.format(Locale.ROOT, "%.3f,%s,%d,%.1f,%.0f,%.1f,%.0f,%.0f,%d%n", s.minutes(), s.service(), s.pid(),
          s.rssMb(), s.nativeArrays(), s.heapMb(), s.threads(), s.openFiles(), s.policyVersion()));
    }
    Files.writeString(results.resolve("soak.csv"), csv);
    chart(results.resolve("soak-rss.png"), "Resident memory per service", "MiB", run.samples(), Sample::rssMb);
    chart(results.resolve("soak-arrays.png"), "Live native arrays per service", "arrays", run.samples(),
        Sample::nativeArrays);
    chart(results.resolve("soak-heap.png"), "Java heap in use per service", "MiB", run.samples(), Sample::heapMb);

    long updates = run.samples().stream().mapToLong(Sample::policyVersion).max().orElse(-1);
    var sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "soak of %.0f min started %s; %d samples; learner reached policy v%d%n",
        minutes, started, run.samples().size(), updates));
    sb.append(String.format(Locale.ROOT, "host: %d cores, shared with other work; services at -Xmx1g%n",
        Runtime.getRuntime().availableProcessors()));
    if (!run.died().isEmpty()) {
      sb.append("FAIL: services died (exit codes): ").append(run.died()).append('\n');
    }
    sb.append(String.format(Locale.ROOT, "%-9s %-14s %12s %12s %12s %14s %10s  %s%n", "service", "measure",
        "1st half", "2nd half", "2nd max", "drift/2nd half", "tolerance", "verdict"));
    for (Verdict v : verdicts) {
      sb.append(String.format(Locale.ROOT, "%-9s %-14s %12.1f %12.1f %12.1f %+14.1f %10.1f  %s%n", v.service(),
          v.measure(), v.firstHalfMean(), v.secondHalfMean(), v.secondHalfMax(), v.driftPerHalf(), v.tolerance(),
          v.flat() ? "flat" : "GROWING"));
    }
    boolean pass = run.died().isEmpty() && verdicts.stream().allMatch(Verdict::flat);
    sb.append(pass ? "PASS: every curve is flat in the second half\n" : "FAIL\n");
    Files.writeString(results.resolve("soak-summary.txt"), sb.toString(), StandardCharsets.UTF_8);
  }

  private static void chart(Path file, String title, String unit, List<Sample> samples, ToDoubleFunction<Sample> y)
      throws IOException {
    List<ChartPng.Series> series = new ArrayList<>();
    for (String service : SERVICES) {
      List<Sample> mine = samples.stream().filter(s -> s.service().equals(service))
          .sorted(Comparator.comparingDouble(Sample::minutes)).toList();
      series.add(new ChartPng.Series(service, mine.stream().mapToDouble(Sample::minutes).toArray(),
          mine.stream().mapToDouble(y).toArray()));
    }
    ChartPng.lines(file, title, "minutes", unit, series);
  }
}
