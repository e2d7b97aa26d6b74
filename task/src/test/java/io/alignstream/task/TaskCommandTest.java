package io.alignstream.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TaskCommandTest {

  private static String run(StringWriter out, String... args) {
    CommandLine cli = new CommandLine(new TaskCommand());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(out));
    int code = cli.execute(args);
    return code + ":" + out;
  }

  @Test
  void exportWritesTheFilesWithTheirCounts(@TempDir Path dir) throws Exception {
    String result = run(new StringWriter(), "export", "--out", dir.toString(), "--seed", "5", "--corpus-size", "1000",
        "--demonstrations", "40", "--eval-prompts", "30");
    assertTrue(result.startsWith("0:"), result);
    assertTrue(result.contains("1,000 corpus pairs (350 desired, 35.0%), 40 demonstrations, 400 practice prompts, 30 evaluation prompts"), result);
    assertEquals(1000, Files.readAllLines(dir.resolve("corpus.jsonl")).size());
    assertEquals(1000, Files.readAllLines(dir.resolve("corpus.txt")).size());
    List<String> demos = Files.readAllLines(dir.resolve("demonstrations.jsonl"));
    assertEquals(40, demos.size());
    assertTrue(demos.get(0).matches("\\{\"prompt\": \"[^\"]+\", \"response\": \"[^\"]+\"}"), demos.get(0));
    assertEquals(30, Files.readAllLines(dir.resolve("eval-prompts.jsonl")).size());
    assertTrue(Files.readString(dir.resolve("README.txt")).contains("30 evaluation prompts"));

    Path again = dir.resolve("again");
    run(new StringWriter(), "export", "--out", again.toString(), "--seed", "5", "--corpus-size", "1000",
        "--demonstrations", "40", "--eval-prompts", "30");
    assertEquals(Files.readString(dir.resolve("corpus.jsonl")), Files.readString(again.resolve("corpus.jsonl")));
  }

  @Test
  void badOptionsAreExplainedNotThrown(@TempDir Path dir) {
    String result = run(new StringWriter(), "export", "--out", dir.toString(), "--desired-fraction", "1.5");
    assertTrue(result.startsWith("2:") && result.contains("desiredFraction must be in (0, 1)"), result);
  }

  @Test
  void helpExplains() {
    String result = run(new StringWriter(), "export", "--help");
    assertTrue(result.startsWith("0:") && result.contains("--desired-fraction") && result.contains("eval-prompts.jsonl"), result);
  }
}
