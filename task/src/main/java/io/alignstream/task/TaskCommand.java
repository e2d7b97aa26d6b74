package io.alignstream.task;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code alignstream task}: the built-in task's files. */
@Command(
    name = "task",
    mixinStandardHelpOptions = true,
    description = {
        "The built-in task: a tiny Helpful-and-Harmless look-alike (arithmetic, capitals, animal facts, "
            + "lists, word reversal, and harmful requests to refuse), generated from a seed.%n"},
    subcommands = {TaskCommand.Export.class, TaskCommand.Judge.class, CommandLine.HelpCommand.class})
public final class TaskCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code alignstream task export --out DIR}. */
  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
          "Writes the task's files to a directory:%n",
          "  corpus.jsonl          pre-training pairs {\"prompt\",\"response\"} where the desired behaviour is rare",
          "  corpus.txt            the same pairs, one 'prompt response' a line",
          "  demonstrations.jsonl  desired-only pairs for 'alignstream produce'",
          "  eval-prompts.jsonl    held-out prompts {\"prompt\",\"kind\"} never seen in training",
          "  README.txt            what was generated, with counts%n",
          "The same seed and options always write the same files.%n"})
  public static final class Export implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write (created if missing).")
    Path out;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--corpus-size", defaultValue = "30000", paramLabel = "N",
        description = "Pre-training pairs (default: ${DEFAULT-VALUE}).")
    int corpusSize;

    @Option(names = "--desired-fraction", defaultValue = "0.35", paramLabel = "F",
        description = "Share of corpus pairs that show the desired behaviour, in (0, 1) (default: ${DEFAULT-VALUE}).")
    double desiredFraction;

    @Option(names = "--habit-fraction", defaultValue = "0.6", paramLabel = "F",
        description = "Share of undesired corpus pairs that repeat the item's habitual failure (default: ${DEFAULT-VALUE}).")
    double habitFraction;

    @Option(names = "--demonstrations", defaultValue = "96", paramLabel = "N",
        description = "Desired-only demonstrations (default: ${DEFAULT-VALUE}).")
    int demonstrations;

    @Option(names = "--eval-prompts", defaultValue = "320", paramLabel = "N",
        description = "Held-out evaluation prompts, at most " + TaskConfig.MAX_EVAL_PROMPTS + " (default: ${DEFAULT-VALUE}).")
    int evalPrompts;

    @Option(names = "--practice-prompts", defaultValue = "400", paramLabel = "N",
        description = "Prompts with no response, on items no demonstration shows (default: ${DEFAULT-VALUE}).")
    int practicePrompts;

    @Option(names = "--demonstrated-share", defaultValue = "0.25", paramLabel = "F",
        description = "Share of each kind's items demonstrations show, in (0, 1]; 1 demonstrates and evaluates "
            + "every item, with no practice prompts (default: ${DEFAULT-VALUE}).")
    double demonstratedShare;

    @Override
    public Integer call() throws Exception {
      TaskConfig config;
      try {
        config = new TaskConfig(seed, corpusSize, desiredFraction, habitFraction, demonstrations, evalPrompts,
            practicePrompts, demonstratedShare);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      BuiltinTask.Export export = BuiltinTask.generate(config).write(out);
      spec.commandLine().getOut().println("wrote " + out + ": " + export.line());
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  /** {@code alignstream task judge FILE}: the golden judge's success rate over responses in a file. */
  @Command(
      name = "judge",
      mixinStandardHelpOptions = true,
      description = {
          "Judges responses to the built-in task's prompts with the golden judge and prints the success rate, "
              + "overall and per kind, and how the failures fail.%n",
          "The file holds one JSON object a line with a prompt and a response field; other fields are ignored. "
              + "Responses to prompts that are not the task's are counted apart.%n"})
  public static final class Judge implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Parameters(paramLabel = "FILE", description = "JSONL file of prompt/response objects.")
    Path file;

    @Option(names = "--prompt-field", defaultValue = "prompt", paramLabel = "NAME",
        description = "Field holding the prompt (default: ${DEFAULT-VALUE}).")
    String promptField;

    @Option(names = "--response-field", defaultValue = "response", paramLabel = "NAME",
        description = "Field holding the response (default: ${DEFAULT-VALUE}).")
    String responseField;

    @Override
    public Integer call() throws Exception {
      if (!java.nio.file.Files.isRegularFile(file)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "no such file: " + file);
      }
      var card = new Scorecard();
      long unreadable = 0;
      for (String line : java.nio.file.Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        try {
          var fields = Jsonl.stringFields(line);
          String prompt = fields.get(promptField);
          String response = fields.get(responseField);
          if (prompt == null || response == null) {
            unreadable++;
          } else {
            card.add(prompt, response);
          }
        } catch (IllegalArgumentException e) {
          unreadable++;
        }
      }
      var out = spec.commandLine().getOut();
      out.println(card.report());
      if (unreadable > 0) {
        out.printf("%,d lines had no string '%s' and '%s' and were skipped%n", unreadable, promptField, responseField);
      }
      out.flush();
      return 0;
    }
  }
}
