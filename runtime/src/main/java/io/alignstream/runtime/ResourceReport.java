package io.alignstream.runtime;

import io.alignstream.schemas.Topics;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports this process's resource use on the metrics topic at a fixed interval, from its own daemon
 * thread, so that a long-running replica's growth shows on the dashboard and in the soak bench
 * ({@code bench/soak}): resident memory, heap in use, live native arrays, threads and open files.
 *
 * <p>Contract: one report per interval, the first at once; each value that cannot be read on this
 * platform (the {@code /proc} ones off Linux) is left out, and a failed report is logged, never
 * thrown. Closing stops the thread and closes the reporter.
 */
public final class ResourceReport implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ResourceReport.class);

  /** Resident set size, MiB ({@code VmRSS} of {@code /proc/self/status}). */
  public static final String RSS_MB = "process.rss_mb";
  /** Java heap in use, MiB. */
  public static final String HEAP_USED_MB = "process.heap_used_mb";
  /** Live native (DJL) arrays in the process. */
  public static final String NATIVE_ARRAYS = "process.native_arrays";
  /** Live Java threads. */
  public static final String THREADS = "process.threads";
  /** Open file descriptors (files and sockets). */
  public static final String OPEN_FILES = "process.open_files";
  /** Every metric name it reports, in order. */
  public static final List<String> METRICS = List.of(RSS_MB, HEAP_USED_MB, NATIVE_ARRAYS, THREADS, OPEN_FILES);
  /** The interval the services use. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

  private static final Path PROC_SELF = Path.of("/proc/self");

  private final RunReporter reporter;
  private final IntSupplier liveArrays;
  private final ScheduledExecutorService timer;
  private long step;

  private ResourceReport(RunReporter reporter, IntSupplier liveArrays) {
    this.reporter = reporter;
    this.liveArrays = liveArrays;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "resource-report-" + reporter.source());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts reporting through {@code reporter} (owned: closed with this) every {@code interval}.
   *
   * @param liveArrays the process's live native arrays, e.g. {@code NativeArrays::liveInProcess} (0 for a process
   *     with no model, such as ingest)
   */
  public static ResourceReport start(RunReporter reporter, IntSupplier liveArrays, Duration interval) {
    if (interval == null || interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("the resource report interval must be positive, got " + interval);
    }
    var report = new ResourceReport(reporter, liveArrays);
    report.timer.scheduleAtFixedRate(report::reportOnce, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return report;
  }

  /**
   * Starts reporting as {@code source} every {@link #DEFAULT_INTERVAL}, with a producer of its own made
   * from {@code producerConfig} (a non-transactional one, e.g. {@code KafkaConnection.producerConfig()}).
   */
  public static ResourceReport start(Map<String, Object> producerConfig, Topics topics, String source,
      IntSupplier liveArrays) {
    var producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
    return start(new RunReporter(producer, topics, source), liveArrays, DEFAULT_INTERVAL);
  }

  /** Measures now: each metric's name and value, for those this platform can read. */
  public Map<String, Double> measure() {
    Map<String, Double> m = new LinkedHashMap<>();
    rssMb().ifPresent(v -> m.put(RSS_MB, v));
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    m.put(HEAP_USED_MB, heap.getUsed() / (1024.0 * 1024.0));
    m.put(NATIVE_ARRAYS, (double) liveArrays.getAsInt());
    m.put(THREADS, (double) ManagementFactory.getThreadMXBean().getThreadCount());
    openFiles().ifPresent(v -> m.put(OPEN_FILES, v));
    return m;
  }

  private void reportOnce() {
    try {
      long s = step++;
      measure().forEach((name, value) -> reporter.metric(name, value, s, -1));
    } catch (RuntimeException e) {
      // A report is diagnostics: it must never take the service down, and the next one may work.
      log.warn("{}: resource report failed: {}", reporter.source(), e.toString());
    }
  }

  /** {@code VmRSS} in MiB, if {@code /proc} has it. */
  static OptionalDouble rssMb() {
    try {
      for (String line : Files.readAllLines(PROC_SELF.resolve("status"))) {
        if (line.startsWith("VmRSS:")) {
          return OptionalDouble.of(Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0); // kB
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux, or an unexpected format: leave it out
    }
    return OptionalDouble.empty();
  }

  private static OptionalDouble openFiles() {
    try (Stream<Path> fds = Files.list(PROC_SELF.resolve("fd"))) {
      return OptionalDouble.of(fds.count());
    } catch (IOException | java.io.UncheckedIOException e) {
      return OptionalDouble.empty();
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    reporter.close();
  }
}
