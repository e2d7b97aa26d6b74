package io.alignstream.producer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LineTailTest {
  @TempDir
  Path dir;

  private static List<String> sources(List<LineTail.Line> lines) {
    return lines.stream().map(LineTail.Line::source).toList();
  }

  @Test
  void filesAndDirectoriesInNameOrderBytesKept() throws Exception {
    // Given a directory with two .jsonl files (and a file that is not .jsonl), CRLF, a blank line, bad UTF-8
    Path d = Files.createDirectory(dir.resolve("d"));
    Files.writeString(d.resolve("b.jsonl"), "b1\r\n\n  \nb2");
    Files.write(d.resolve("a.jsonl"), new byte[] {'a', '1', '\n', (byte) 0xC3, (byte) 0x28, '\n'});
    Files.writeString(d.resolve("notes.txt"), "ignored\n");
    var lines = new CopyOnWriteArrayList<LineTail.Line>();

    var tail = new LineTail(List.of(d.toString()), false, Duration.ofMillis(10));
    tail.run(lines::add, () -> false);

    assertEquals(List.of(d.resolve("a.jsonl") + ":1", d.resolve("a.jsonl") + ":2", d.resolve("b.jsonl") + ":1",
        d.resolve("b.jsonl") + ":4"), sources(lines));
    assertArrayEquals(new byte[] {(byte) 0xC3, (byte) 0x28}, lines.get(1).bytes());
    assertEquals("b1", new String(lines.get(2).bytes(), StandardCharsets.UTF_8), "CR of CRLF dropped");
    assertEquals("b2", new String(lines.get(3).bytes(), StandardCharsets.UTF_8), "a last line without newline counts");
    assertEquals(6, tail.countLines(), "counts raw lines, blank ones included");
  }

  @Test
  void followPicksUpAppendedLinesAndNewFilesButNotHalfLines() throws Exception {
    Path d = Files.createDirectory(dir.resolve("d"));
    Path f = d.resolve("1.jsonl");
    Files.writeString(f, "one\n");
    var lines = new CopyOnWriteArrayList<LineTail.Line>();
    var stop = new AtomicBoolean();
    var tail = new LineTail(List.of(d.toString()), true, Duration.ofMillis(10));
    Thread t = new Thread(() -> {
      try {
        tail.run(lines::add, stop::get);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    t.start();
    await(() -> lines.size() == 1);

    // When a line is appended in two writes, and a new file appears
    Files.writeString(f, "tw", StandardOpenOption.APPEND);
    Thread.sleep(100);
    assertEquals(1, lines.size(), "half a line is not a line");
    Files.writeString(f, "o\n", StandardOpenOption.APPEND);
    Files.writeString(d.resolve("2.jsonl"), "three\n");
    await(() -> lines.size() == 3);
    stop.set(true);
    t.join(5_000);

    assertEquals(List.of("one", "two", "three"),
        lines.stream().map(l -> new String(l.bytes(), StandardCharsets.UTF_8)).toList());
    assertEquals(f + ":2", lines.get(1).source());
  }

  @Test
  void missingInputsAreExplained() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> new LineTail(List.of(dir.resolve("nope.jsonl").toString()), false, Duration.ZERO));
    assertEquals("input " + dir.resolve("nope.jsonl") + " does not exist", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new LineTail(List.of("-"), true, Duration.ZERO));
  }

  private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 5 s");
      }
      Thread.sleep(10);
    }
  }
}
