package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue #8: bad input to any command (an unknown option, a number that is not one or is out of range,
 * a missing file, a bad recipe file or {@code --set}) is exactly one line on standard error that names
 * the command and the problem, with no stack trace, nothing on standard output, and a non-zero exit.
 * Every case is refused before any broker is contacted ({@code --bootstrap} points at a closed port).
 */
class CliBadInputTest {
  /** A port nothing listens on: a case that got as far as Kafka would fail differently, and slowly. */
  static final String NO_BROKER = "127.0.0.1:1";

  @TempDir
  Path dir;

  private record Run(int code, String out, String err) {}

  /** Runs the real command line, capturing picocli's writers and the process's own streams. */
  private static synchronized Run run(String... args) {
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    var sysOut = new ByteArrayOutputStream();
    var sysErr = new ByteArrayOutputStream();
    var out = new StringWriter();
    var err = new StringWriter();
    int code;
    try {
      // Swapped before the command line is built: picocli's default strategy remembers the streams of
      // that moment and, if they differ at execute(), puts them back over the writers set here.
      System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
      CommandLine cli = Main.commandLine();
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
      code = cli.execute(args);
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
    return new Run(code, out + sysOut.toString(StandardCharsets.UTF_8), err + sysErr.toString(StandardCharsets.UTF_8));
  }

  /** Asserts the one-line contract and that the line says {@code expected}. */
  private static String oneLine(String command, String expected, String... args) {
    Run r = run(args);
    String all = String.join(" ", args);
    assertTrue(r.code() == 1 || r.code() == 2, all + " exited " + r.code() + ": " + r.err());
    List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), all + ": exactly one line on stderr, got (exit " + r.code() + "):\n" + r.err()
        + "\nand on stdout:\n" + r.out());
    assertTrue(lines.get(0).startsWith("alignstream " + command + ": "), all + ": " + lines.get(0));
    assertTrue(lines.get(0).contains(expected), all + ": expected '" + expected + "' in: " + lines.get(0));
    assertFalse(r.err().contains("\tat ") || r.err().contains("Exception:"), all + ": no stack trace: " + r.err());
    assertEquals("", r.out(), all + ": nothing on stdout");
    return lines.get(0);
  }

  @Test
  void anUnknownOptionIsOneLineForEveryCommand() {
    List<String> paths = new ArrayList<>();
    collect(Main.commandLine(), List.of(), paths);
    assertTrue(paths.size() >= 15, "every command, subcommands included: " + paths);
    for (String path : paths) {
      List<String> args = new ArrayList<>(List.of(path.split(" ")));
      args.add("--no-such-option");
      // A command with required options names those first; either way it is one line about the input.
      String line = oneLine(path, "", args.toArray(String[]::new));
      assertTrue(line.contains("Unknown option: '--no-such-option'") || line.contains("Missing required"), line);
    }
    oneLine("sampler", "did you mean --top-p or --top-k?", "sampler", "--top");
  }

  private static void collect(CommandLine cli, List<String> prefix, List<String> out) {
    for (Map.Entry<String, CommandLine> e : cli.getSubcommands().entrySet()) {
      if (e.getKey().equals("help")) {
        continue;
      }
      List<String> path = new ArrayList<>(prefix);
      path.add(e.getKey());
      out.add(String.join(" ", path));
      collect(e.getValue(), path, out);
    }
  }

  @Test
  void aBadNumberIsOneLine() {
    oneLine("sampler", "Invalid value for option '--samples-per-prompt': 'many' is not an int",
        "sampler", "--bootstrap", NO_BROKER, "-k", "many");
    oneLine("sampler", "temperature", "sampler", "--bootstrap", NO_BROKER, "--temperature", "-1");
    oneLine("rewarder", "--max-batch", "rewarder", "--bootstrap", NO_BROKER, "--max-batch", "0");
    oneLine("rewarder", "Invalid value for option '--device'", "rewarder", "--bootstrap", NO_BROKER, "--device", "tpu");
    oneLine("learner", "Invalid value for option '--keep-checkpoints'", "learner", "--bootstrap", NO_BROKER,
        "--keep-checkpoints", "several");
    oneLine("learner", "Invalid value for option '--batch-wait'", "learner", "--bootstrap", NO_BROKER,
        "--batch-wait", "soon");
    oneLine("dashboard", "port 70000 is out of range", "dashboard", "--bootstrap", NO_BROKER, "--port", "70000");
    oneLine("broker", "Invalid value for option '--port'", "broker", "--port", "ninety");
    oneLine("demo", "Invalid value for option '--updates'", "demo", "--updates", "lots");
    oneLine("pretrain", "Invalid value for option '--lr'", "pretrain", "--corpus", "c", "--out", "o", "--lr", "fast");
    oneLine("task export", "Invalid value for option '--seed'", "task", "export", "--out", "o", "--seed", "x");
    oneLine("produce", "'csv' is not a format", "produce", "--bootstrap", NO_BROKER, "--format", "csv", "f.jsonl");
    oneLine("sampler", "not host:port", "sampler", "--bootstrap", "localhost");
    oneLine("sampler", "run id 'no/such' is not valid", "sampler", "--bootstrap", NO_BROKER, "--run", "no/such");
  }

  @Test
  void aMissingFileIsOneLine() {
    String missing = dir.resolve("missing").toString();
    oneLine("sampler", "Kafka client properties file not found: " + missing, "sampler", "--kafka-config", missing);
    oneLine("learner", missing, "learner", "--bootstrap", NO_BROKER, "--recipe", missing);
    oneLine("produce", missing, "produce", "--bootstrap", NO_BROKER, missing);
    oneLine("produce", "no input", "produce", "--bootstrap", NO_BROKER);
    oneLine("pretrain", missing, "pretrain", "--corpus", missing, "--out", dir.resolve("out").toString());
    oneLine("pretrain", "Missing required option: '--out=DIR'", "pretrain", "--corpus", missing);
    oneLine("generate", missing, "generate", "--model", missing, "--prompts", missing, "--out",
        dir.resolve("gen.jsonl").toString());
    oneLine("task judge", missing, "task", "judge", missing);
    oneLine("export", "has no topic 'nonsense'", "export", "--bootstrap", NO_BROKER, "--topic", "nonsense",
        "--out", "-");
  }

  @Test
  void aBadRecipeIsOneLine() throws Exception {
    Path recipe = dir.resolve("bad.recipe");
    Files.writeString(recipe, "sft.lr = fast\n");
    oneLine("learner", "sft.lr", "learner", "--bootstrap", NO_BROKER, "--recipe", recipe.toString());
    Files.writeString(recipe, "polcy.lr = 1e-4\n");
    oneLine("learner", "did you mean 'policy.lr'", "learner", "--bootstrap", NO_BROKER, "--recipe", recipe.toString());
    Files.writeString(recipe, "just some words\n");
    oneLine("learner", "unknown key 'just'", "learner", "--bootstrap", NO_BROKER, "--recipe", recipe.toString());
    oneLine("learner", "sft.steps", "learner", "--bootstrap", NO_BROKER, "--set", "sft.steps");
    oneLine("learner", "samples.per_prompt", "learner", "--bootstrap", NO_BROKER, "--set", "samples.per_prompt=0");
    oneLine("learner", "policy.objective", "learner", "--bootstrap", NO_BROKER, "--set", "policy.objective=magic");
    oneLine("demo", "did you mean 'policy.lr'", "demo", "--bootstrap", NO_BROKER, "--runs-dir", dir.toString(),
        "--set", "polcy.lr=1");
    try (var written = Files.list(dir)) {
      assertEquals(List.of(), written.filter(Files::isDirectory).toList(), "the run directory is not created");
    }
  }
}
