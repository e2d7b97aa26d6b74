package io.alignstream.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One service of a crash test run as its own JVM on the test's class path, so that it dies like a
 * real process: {@link #kill()} is SIGKILL (no shutdown hook, no flush, transactions left open),
 * {@link #stop} is SIGTERM (what Ctrl-C or an orchestrator sends), and {@link #start()} launches it
 * again with the same command line, in the same working directory, logging to the same file.
 *
 * <p>Contract: at most one process of a {@code ServiceProcess} runs at a time; {@link #start()}
 * refuses while one is alive. Every start appends a header line and then the process's stdout and
 * stderr to {@link Spec#log()}. {@link #close()} kills whatever is still running, so a failing test
 * leaves no process behind; so does the test JVM's exit.
 */
public final class ServiceProcess implements AutoCloseable {
  /**
   * JVM options every alignstream service process needs on a machine with no network: DJL offline,
   * one libtorch thread (services share the cores), Avro allowed to decode the generated classes.
   */
  public static final List<String> SERVICE_JVM_OPTIONS = List.of("-Dai.djl.offline=true",
      "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
      "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.alignstream.schemas");

  /**
   * What to run.
   *
   * @param name short name for messages and the log header, e.g. {@code sampler-s1}
   * @param mainClass class with the {@code main} method, on the test's class path
   * @param jvmOptions options before {@code -cp}, e.g. {@code -Xmx512m}
   * @param args program arguments
   * @param workDir working directory of the process (relative paths of the service resolve here)
   * @param log file the process's output is appended to
   */
  public record Spec(String name, String mainClass, List<String> jvmOptions, List<String> args, Path workDir,
      Path log) {
    public Spec {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(mainClass, "mainClass");
      Objects.requireNonNull(workDir, "workDir");
      Objects.requireNonNull(log, "log");
      if (name.isBlank() || mainClass.isBlank()) {
        throw new IllegalArgumentException("a service process needs a name and a main class");
      }
      jvmOptions = List.copyOf(jvmOptions);
      args = List.copyOf(args);
    }
  }

  /**
   * Every process started here that may still run: killed when the test JVM exits, so that a test
   * stopped half-way (Ctrl-C, a build time-out) leaves no broker or service running behind it.
   */
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
        "service-process-reaper"));
  }

  private final Spec spec;
  private Process process;
  private int starts;

  private ServiceProcess(Spec spec) {
    this.spec = spec;
  }

  /** Starts the service for the first time. */
  public static ServiceProcess start(Spec spec) {
    ServiceProcess p = new ServiceProcess(spec);
    p.start();
    return p;
  }

  /** Starts the service again with the same command line; the previous process must have exited. */
  public synchronized ServiceProcess start() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException(spec.name() + " is still running (pid " + process.pid() + ")");
    }
    // The surefire/failsafe class path when forked with a manifest-only jar; the plain one otherwise.
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(spec.jvmOptions());
    command.addAll(List.of("-cp", classpath, spec.mainClass()));
    command.addAll(spec.args());
    try {
      Files.createDirectories(spec.workDir());
      Files.createDirectories(spec.log().toAbsolutePath().getParent());
      Files.writeString(spec.log(), "=== " + Instant.now() + " start #" + (starts + 1) + " of " + spec.name() + ": "
          + String.join(" ", spec.args()) + System.lineSeparator(), StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      var builder = new ProcessBuilder(command).directory(spec.workDir().toFile()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.log().toFile()));
      builder.environment().put("DJL_OFFLINE", "true");
      builder.environment().put("ALIGNSTREAM_DEBUG", "1"); // stack traces in the log, not one line
      process = builder.start();
      LIVE.removeIf(p -> !p.isAlive());
      LIVE.add(process);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + spec.name(), e);
    }
    starts++;
    return this;
  }

  public Spec spec() {
    return spec;
  }

  public String name() {
    return spec.name();
  }

  /** How many times the service was started. */
  public synchronized int starts() {
    return starts;
  }

  public synchronized boolean alive() {
    return process != null && process.isAlive();
  }

  /** The exit status of the last process, or -1 while it runs (or before the first start). */
  public synchronized int exitValue() {
    return process == null || process.isAlive() ? -1 : process.exitValue();
  }

  /** Waits up to {@code timeout} for the process to exit on its own; true if it did. */
  public boolean awaitExit(Duration timeout) throws InterruptedException {
    Process p;
    synchronized (this) {
      p = process;
    }
    return p == null || p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** SIGKILL, like {@code kill -9}; returns once the process is gone. */
  public void kill() throws InterruptedException {
    Process p;
    synchronized (this) {
      p = process;
    }
    if (p != null && p.isAlive()) {
      p.destroyForcibly();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(spec.name() + " (pid " + p.pid() + ") survived SIGKILL for 30 s");
      }
    }
  }

  /**
   * SIGTERM, then waits up to {@code grace} for the service's shutdown hooks; SIGKILL after that.
   *
   * @return whether it exited within {@code grace}
   */
  public boolean stop(Duration grace) throws InterruptedException {
    Process p;
    synchronized (this) {
      p = process;
    }
    if (p == null || !p.isAlive()) {
      return true;
    }
    p.destroy();
    if (p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      return true;
    }
    kill();
    return false;
  }

  /** The last {@code maxChars} characters of the log, for failure messages. */
  public String logTail(int maxChars) {
    try {
      String all = Files.exists(spec.log()) ? Files.readString(spec.log(), StandardCharsets.UTF_8) : "";
      return all.substring(Math.max(0, all.length() - maxChars));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + spec.log() + ": " + e + ")";
    }
  }

  /** Kills the process if it still runs. */
  @Override
  public void close() throws InterruptedException {
    kill();
  }

  @Override
  public String toString() {
    return spec.name() + (alive() ? " (running)" : " (exited " + exitValue() + ")");
  }
}
