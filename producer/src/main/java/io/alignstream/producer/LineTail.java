package io.alignstream.producer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Reads the lines of the inputs: files, directories (every {@code *.jsonl} in name order) and
 * standard input ({@code -}), as bytes, so that a line that is not valid UTF-8 reaches the
 * dead-letter topic exactly as it was.
 *
 * <p>Without follow, each input is read once to its end (a last line without a newline included).
 * With follow, it keeps polling for lines appended to the files and for new files in the
 * directories until told to stop; a line counts only once its newline is written, so a line being
 * written is never split.
 */
public final class LineTail {
  /** One line: its bytes (without the newline or a carriage return before it) and where it came from. */
  public record Line(byte[] bytes, String source) {}

  /** Receives lines in input order. */
  public interface Sink {
    void accept(Line line) throws Exception;
  }

  private static final int CHUNK = 1 << 20;
  private final List<String> inputs;
  private final boolean follow;
  private final Duration pollInterval;
  private final Map<Path, Position> files = new LinkedHashMap<>();

  private static final class Position {
    long offset;
    long lineNumber;
    final String name;

    Position(String name) {
      this.name = name;
    }
  }

  /**
   * @param inputs paths of files or directories, or {@code -} for standard input
   * @param follow keep reading what is appended, until {@link #run}'s stop condition holds
   */
  public LineTail(List<String> inputs, boolean follow, Duration pollInterval) {
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("no input: give a file, a directory or - for standard input");
    }
    for (String input : inputs) {
      if (!input.equals("-") && !Files.exists(Path.of(input))) {
        throw new IllegalArgumentException("input " + input + " does not exist");
      }
    }
    if (follow && inputs.contains("-")) {
      throw new IllegalArgumentException("--follow tails files and directories; standard input is read to its end anyway");
    }
    this.inputs = List.copyOf(inputs);
    this.follow = follow;
    this.pollInterval = pollInterval;
  }

  /** Lines the inputs hold now, for a progress total (0 when standard input is among them). */
  public long countLines() {
    if (inputs.contains("-")) {
      return 0;
    }
    long n = 0;
    for (Path file : currentFiles()) {
      try (InputStream in = Files.newInputStream(file)) {
        byte[] buf = new byte[CHUNK];
        int read;
        int last = '\n';
        while ((read = in.read(buf)) > 0) {
          for (int i = 0; i < read; i++) {
            if (buf[i] == '\n') {
              n++;
            }
          }
          last = buf[read - 1];
        }
        if (last != '\n') {
          n++;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    }
    return n;
  }

  /** Sends every line to {@code sink}; with follow, until {@code stop} is true. Blank lines are skipped. */
  public void run(Sink sink, BooleanSupplier stop) throws Exception {
    for (String input : inputs) {
      if (input.equals("-")) {
        readStream(System.in, "stdin", sink, stop);
      }
    }
    do {
      boolean any = false;
      for (Path file : currentFiles()) {
        Position pos = files.computeIfAbsent(file, f -> new Position(f.toString()));
        any |= readNew(file, pos, sink, stop);
        if (stop.getAsBoolean()) {
          return;
        }
      }
      if (follow && !any) {
        Thread.sleep(pollInterval.toMillis());
      }
    } while (follow && !stop.getAsBoolean());
  }

  private List<Path> currentFiles() {
    List<Path> out = new ArrayList<>();
    for (String input : inputs) {
      if (input.equals("-")) {
        continue;
      }
      Path path = Path.of(input);
      if (Files.isDirectory(path)) {
        try (Stream<Path> listing = Files.list(path)) {
          listing.filter(p -> p.getFileName().toString().endsWith(".jsonl") && Files.isRegularFile(p))
              .sorted().forEach(out::add);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot list " + path, e);
        }
      } else {
        out.add(path);
      }
    }
    return out;
  }

  /** Reads the complete lines appended since the last call; returns whether there were any. */
  private boolean readNew(Path file, Position pos, Sink sink, BooleanSupplier stop) throws Exception {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < pos.offset) {
        pos.offset = 0; // truncated and rewritten: start over (duplicates are dropped downstream)
        pos.lineNumber = 0;
      }
      if (size == pos.offset) {
        return false;
      }
      channel.position(pos.offset);
      var pending = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(CHUNK);
      long consumed = pos.offset;
      boolean any = false;
      while (channel.read(buf) > 0) {
        buf.flip();
        while (buf.hasRemaining()) {
          byte b = buf.get();
          if (b == '\n') {
            consumed += pending.size() + 1;
            pos.offset = consumed;
            any |= emit(pending, pos, sink);
            if (stop.getAsBoolean()) {
              return any;
            }
          } else {
            pending.write(b);
          }
        }
        buf.clear();
      }
      if (!follow && pending.size() > 0) {
        pos.offset = consumed + pending.size();
        any |= emit(pending, pos, sink);
      }
      return any;
    }
  }

  private void readStream(InputStream in, String name, Sink sink, BooleanSupplier stop) throws Exception {
    var pos = new Position(name);
    var pending = new ByteArrayOutputStream();
    byte[] buf = new byte[CHUNK];
    int read;
    while ((read = in.read(buf)) > 0 && !stop.getAsBoolean()) {
      for (int i = 0; i < read; i++) {
        if (buf[i] == '\n') {
          emit(pending, pos, sink);
        } else {
          pending.write(buf[i]);
        }
      }
    }
    if (pending.size() > 0) {
      emit(pending, pos, sink);
    }
  }

  private static boolean emit(ByteArrayOutputStream pending, Position pos, Sink sink) throws Exception {
    pos.lineNumber++;
    byte[] bytes = pending.toByteArray();
    pending.reset();
    int end = bytes.length;
    if (end > 0 && bytes[end - 1] == '\r') {
      end--;
    }
    boolean blank = true;
    for (int i = 0; i < end && blank; i++) {
      blank = bytes[i] == ' ' || bytes[i] == '\t';
    }
    if (blank) {
      return false;
    }
    sink.accept(new Line(end == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, end), pos.name + ":" + pos.lineNumber));
    return true;
  }
}
