package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input to {@code align} and {@code replay} is one clear line, found before any broker starts. */
class AlignCommandTest {
  @TempDir
  Path dir;

  private AlignIT.Run align(String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("align", "--out", dir.resolve("out").toString(),
        "--bootstrap", "127.0.0.1:1", "--dashboard-port", "-1"));
    args.addAll(List.of(extra));
    return AlignIT.run(args.toArray(String[]::new));
  }

  private static void oneLine(AlignIT.Run r, String expected) {
    assertEquals(1, r.code(), r.err());
    assertTrue(r.err().startsWith("alignstream align: "), r.err());
    assertTrue(r.err().contains(expected), "expected '" + expected + "' in: " + r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    assertEquals("", r.out(), "nothing on standard output before the input is known to be good");
  }

  @Test
  void badFilesAreOneClearLine() throws Exception {
    Path model = Files.createDirectories(dir.resolve("base"));
    Files.writeString(model.resolve("config.json"), "{}");
    Path demos = dir.resolve("demos.jsonl");
    Files.writeString(demos, "{\"prompt\": \"hello\", \"response\": \"hi there\"}\n");

    oneLine(align("--base", model.toString(), "--demos", dir.resolve("none.jsonl").toString()),
        "demonstrations file not found: ");
    Path garbage = dir.resolve("garbage.jsonl");
    Files.write(garbage, new byte[] {(byte) 0xff, (byte) 0xfe, 'x', '\n', '[', '1', ']', '\n'});
    oneLine(align("--base", model.toString(), "--demos", garbage.toString()),
        "holds no valid demonstration (line 1: the value is not valid UTF-8");
    Path wrongFields = dir.resolve("wrong.jsonl");
    Files.writeString(wrongFields, "{\"question\": \"hello\", \"answer\": \"hi\"}\n", StandardCharsets.UTF_8);
    oneLine(align("--base", model.toString(), "--demos", wrongFields.toString()),
        "(line 1: field 'prompt' is missing); each line must be a JSON object with \"prompt\" and \"response\"");
    oneLine(align("--base", model.toString(), "--demos", demos.toString()),
        "is not a model directory: model.safetensors is missing");
    oneLine(align("--base", dir.resolve("nowhere").toString(), "--demos", demos.toString()),
        "base model directory not found: ");
    oneLine(align("--demos", demos.toString()), "give either --base DIR (a model directory) or --corpus FILE");
    oneLine(align("--base", model.toString(), "--corpus", demos.toString(), "--demos", demos.toString()), "not both");
    Path prompts = dir.resolve("prompts.jsonl");
    Files.writeString(prompts, "{\"prompt\": \"one\"}\n{\"text\": \"two\"}\n");
    oneLine(align("--base", model.toString(), "--demos", demos.toString(), "--eval-prompts", prompts.toString()),
        "line 2: expected an object with a \"prompt\" string");
    oneLine(align("--base", model.toString(), "--demos", demos.toString(), "--set", "polcy.lr=1"),
        "did you mean 'policy.lr'");
  }

  @Test
  void replayNeedsANewRunId() {
    AlignIT.Run r = AlignIT.run("replay", "--from-run", "a", "--as", "a", "--bootstrap", "127.0.0.1:1");
    assertEquals(1, r.code(), r.err());
    assertTrue(r.err().contains("--as must name a new run, not the recorded run 'a'"), r.err());
    AlignIT.Run bad = AlignIT.run("replay", "--from-run", "a", "--as", "b/c", "--bootstrap", "127.0.0.1:1");
    assertTrue(bad.err().contains("run id 'b/c' is not valid"), bad.err());
  }
}
