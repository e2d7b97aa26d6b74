package io.alignstream.producer;

import io.alignstream.broker.RunOptions;
import io.alignstream.broker.RunSession;
import io.alignstream.console.ProgressBar;
import io.alignstream.task.BuiltinTask;
import io.alignstream.task.LabelledPair;
import io.alignstream.task.TaskConfig;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code alignstream produce}: publishes demonstrations from files, directories or stdin to the run's
 * raw topic, and reports what the ingest topology made of them.
 */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = {
        "Publishes demonstrations (prompt and desired response) for training.%n",
        "Each line of the input is one demonstration, in JSON. Lines go to the run's raw topic, where the ingest "
            + "service ('alignstream ingest', or this command's own with --ingest) validates them exactly as it "
            + "validates records from any other Kafka client: valid ones "
            + "become demonstrations and prompts for the samplers, repeats are dropped, and invalid ones go, "
            + "unchanged and with the reason, to the dead-letter topic. The command waits for that verdict and "
            + "prints accepted, duplicate and rejected counts.%n",
        "Formats (--format auto tries them in this order, per line):",
        "  prompt-response  {\"prompt\": ..., \"response\": ...}  (see --prompt-field, --response-field)",
        "  hh               {\"prompt\": \"... Assistant: \", \"label\": ...}",
        "  conversation     {\"chosen\": \"\\n\\nHuman: ...\\n\\nAssistant: ...\"}  (see --conversation-field): the "
            + "last assistant turn is the response, the text before it the prompt%n",
        "Exit status: 0 when every line was sent and its verdict known; 3 when some verdicts did not arrive "
            + "within --wait; 1 on errors.%n"})
public final class ProduceCommand implements Callable<Integer> {
  /** Exit status when the topology's verdict on some records did not arrive in time. */
  public static final int UNCONFIRMED = 3;
  /** Longest wait for the verdict once reading was stopped (Ctrl-C). */
  private static final Duration AFTER_STOP = Duration.ofSeconds(15);

  @Mixin
  RunOptions kafka;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(arity = "0..*", paramLabel = "INPUT",
      description = "JSONL file, directory (all *.jsonl in name order), or - for standard input.")
  List<String> inputs = List.of();

  @Option(names = "--builtin-task", description = "Publish the built-in task's demonstrations instead of files: "
      + "the same ones 'alignstream task export' writes for the seed.")
  boolean builtinTask;

  @Option(names = "--task-seed", defaultValue = "42", paramLabel = "N",
      description = "Seed of the built-in task (default: ${DEFAULT-VALUE}).")
  long taskSeed;

  @Option(names = "--task-demonstrations", defaultValue = "96", paramLabel = "N",
      description = "How many built-in task demonstrations (default: ${DEFAULT-VALUE}).")
  int taskDemonstrations;

  @Option(names = "--format", defaultValue = "auto", paramLabel = "FORMAT",
      converter = FormatConverter.class,
      description = "auto, prompt-response, hh or conversation (default: ${DEFAULT-VALUE}).")
  InputFormat format;

  @Option(names = "--prompt-field", defaultValue = "prompt", paramLabel = "NAME",
      description = "Prompt field of the prompt-response format (default: ${DEFAULT-VALUE}).")
  String promptField;

  @Option(names = "--response-field", defaultValue = "response", paramLabel = "NAME",
      description = "Response field of the prompt-response format (default: ${DEFAULT-VALUE}).")
  String responseField;

  @Option(names = "--conversation-field", defaultValue = "chosen", paramLabel = "NAME",
      description = "Text field of the conversation format (default: ${DEFAULT-VALUE}).")
  String conversationField;

  @Option(names = "--follow", description = "Keep reading lines appended to the files and new *.jsonl files in the "
      + "directories, so demonstrations stream in while training runs, until Ctrl-C.")
  boolean follow;

  @Option(names = "--wait", defaultValue = "PT2M", paramLabel = "DURATION", converter = io.alignstream.broker.DurationConverter.class,
      description = "How long to wait for the topology's verdict after the last line, e.g. 30s, 2m (default: 2m).")
  Duration wait;

  @Option(names = "--ingest", description = "Also run the ingest topology in this process while sending, for a "
      + "one-shot load when no 'alignstream ingest' runs for the run (without it, produce only sends).")
  boolean ingest;

  /** Set by Ctrl-C (or a test) to end reading; what was sent is still confirmed and reported. */
  final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();

  /** The summary of the last {@link #call}, for tests. */
  volatile Summary lastSummary;

  /** What one invocation did. */
  public record Summary(long sent, long unreadable, long tooLarge, BatchVerdict.Counts verdict, Duration elapsed) {
    public long unconfirmed() {
      return sent - verdict.total();
    }

    public String line(String deadLetterTopic) {
      String s = String.format(Locale.ROOT, "sent %,d: %,d accepted, %,d duplicates, %,d rejected",
          sent, verdict.accepted(), verdict.duplicates(), verdict.rejected());
      if (verdict.rejected() > 0) {
        s += " (unchanged, with reasons, on " + deadLetterTopic + ")";
      }
      if (unreadable > 0) {
        s += String.format(Locale.ROOT, "; %,d lines were not readable as demonstrations and were sent as they were", unreadable);
      }
      if (tooLarge > 0) {
        s += String.format(Locale.ROOT, "; %,d lines were larger than the raw topic takes (%,d bytes) and were not sent",
            tooLarge, DemonstrationPublisher.MAX_VALUE_BYTES);
      }
      if (unconfirmed() > 0) {
        s += String.format(Locale.ROOT, "; no verdict yet on %,d (is the ingest topology running for this run?)",
            unconfirmed());
      }
      return s + String.format(Locale.ROOT, " [%.1f s]", elapsed.toMillis() / 1000.0);
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintStream err = System.err;
    var normalizer = new LineNormalizer(format, promptField, responseField, conversationField);
    Lines lines = lines();
    var done = new CountDownLatch(1);
    // Ctrl-C ends --follow (or a long load) cleanly: reading stops, what was sent is confirmed, and the
    // summary is printed before the JVM exits (the hook holds the exit until then, within a bound).
    Thread hook = new Thread(() -> {
      stop.set(true);
      try {
        done.await(AFTER_STOP.toMillis() + 30_000, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "produce-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Summary summary;
      String deadLetters;
      try (RunSession session = kafka.open(err)) {
        deadLetters = session.topics().deadLetters.name();
        summary = produce(session, normalizer, lines);
      }
      lastSummary = summary;
      spec.commandLine().getOut().println(summary.line(deadLetters));
      spec.commandLine().getOut().flush();
      return summary.unconfirmed() > 0 ? UNCONFIRMED : 0;
    } finally {
      done.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down: the hook is running and has just been released
      }
    }
  }

  /** Where the lines come from: the files, or the built-in task. */
  interface Lines {
    /** How many lines there will be; 0 if unknown. */
    long count();

    void run(LineTail.Sink sink, java.util.function.BooleanSupplier stop) throws Exception;
  }

  private Lines lines() {
    if (builtinTask != inputs.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), builtinTask
          ? "give either input files or --builtin-task, not both"
          : "no input: give a JSONL file, a directory, - for standard input, or --builtin-task");
    }
    if (builtinTask) {
      TaskConfig d = TaskConfig.defaults();
      TaskConfig config;
      try {
        config = new TaskConfig(taskSeed, d.corpusSize(), d.desiredFraction(), d.habitFraction(), taskDemonstrations,
            d.evalPrompts(), d.practicePrompts(), d.demonstratedShare());
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      List<LabelledPair> demos = BuiltinTask.generate(config).demonstrations();
      String source = "builtin-task:seed=" + taskSeed + ":";
      return new Lines() {
        @Override public long count() {
          return demos.size();
        }

        @Override public void run(LineTail.Sink sink, java.util.function.BooleanSupplier stop) throws Exception {
          var json = new com.fasterxml.jackson.databind.ObjectMapper();
          for (int i = 0; i < demos.size() && !stop.getAsBoolean(); i++) {
            var node = json.createObjectNode().put("prompt", demos.get(i).prompt()).put("response", demos.get(i).response());
            sink.accept(new LineTail.Line(json.writeValueAsBytes(node), source + (i + 1)));
          }
        }
      };
    }
    LineTail tail;
    try {
      tail = new LineTail(inputs, follow, Duration.ofMillis(250));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    return new Lines() {
      @Override public long count() {
        return follow ? 0 : tail.countLines();
      }

      @Override public void run(LineTail.Sink sink, java.util.function.BooleanSupplier stop) throws Exception {
        tail.run(sink, stop);
      }
    };
  }

  /** Sends every line, then waits up to {@code --wait} for the verdict on all of them. */
  Summary produce(RunSession session, LineNormalizer normalizer, Lines tail) throws Exception {
    String batchId = UUID.randomUUID().toString();
    long t0 = System.nanoTime();
    IngestService ingest = this.ingest
        ? IngestService.start(session.connection(), session.topics(), IngestConfig.defaults()) : null;
    if (ingest == null && !ingestRunning(session)) {
      System.err.println("produce: no ingest service is running for run '" + session.topics().runId() + "': the records "
          + "wait in " + session.topics().demosRaw.name() + " until one does (start 'alignstream ingest --run "
          + session.topics().runId() + "', or give produce --ingest)");
    }
    try (ProgressBar bar = ProgressBar.start("produce", tail.count(), "demos");
        BatchVerdict verdict = BatchVerdict.start(session.connection(), session.topics(), batchId, c -> show(bar, c));
        var publisher = new DemonstrationPublisher(session.connection(), session.topics(), normalizer, batchId)) {
      tail.run(line -> {
        publisher.publish(line);
        bar.step(1);
      }, stop::get);
      publisher.flush();
      if (ingest != null) {
        ingest.awaitRunning(Duration.ofSeconds(60));
      }
      // After Ctrl-C, a person is waiting: give the verdict a short bound rather than the full --wait.
      Duration bound = stop.get() && wait.compareTo(AFTER_STOP) > 0 ? AFTER_STOP : wait;
      long deadline = System.nanoTime() + bound.toNanos();
      BatchVerdict.Counts counts = verdict.latest();
      long sent = publisher.counts().sent();
      while (counts.total() < sent && System.nanoTime() < deadline) {
        counts = verdict.await(sent, Duration.ofMillis(500));
      }
      show(bar, counts);
      DemonstrationPublisher.Counts c = publisher.counts();
      return new Summary(c.sent(), c.unreadable(), c.tooLarge(), counts, Duration.ofNanos(System.nanoTime() - t0));
    } finally {
      if (ingest != null) {
        ingest.close();
      }
    }
  }

  /** Whether the run's ingest application has a member now; true when that cannot be told. */
  private static boolean ingestRunning(RunSession session) {
    String group = IngestService.applicationId(session.topics());
    try (var admin = session.connection().admin()) {
      return !admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group).members().isEmpty();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return true; // a hint, not a check: say nothing rather than something wrong
    }
  }

  private static void show(ProgressBar bar, BatchVerdict.Counts c) {
    bar.set("accepted", "%,d", c.accepted());
    bar.set("duplicates", "%,d", c.duplicates());
    bar.set("rejected", "%,d", c.rejected());
  }

  /** Accepts {@code prompt-response} as well as {@code PROMPT_RESPONSE}. */
  static final class FormatConverter implements CommandLine.ITypeConverter<InputFormat> {
    @Override
    public InputFormat convert(String value) {
      try {
        return InputFormat.valueOf(value.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException("'" + value
            + "' is not a format: use auto, prompt-response, hh or conversation");
      }
    }
  }
}
