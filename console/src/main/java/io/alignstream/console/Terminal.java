package io.alignstream.console;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The terminal's standard error, kept apart from {@link System#err}: a command that runs many
 * services in one process (demo, align) sends their log lines, which slf4j-simple writes to whatever
 * {@code System.err} is, to a file with {@link #quiet}, while progress lines and the command's own
 * notices keep the terminal by writing to {@link #err()}.
 */
public final class Terminal {
  private static volatile PrintStream terminal; // set while quiet

  private Terminal() {}

  /** Where progress and notices go: the terminal's standard error, also while quiet. */
  public static PrintStream err() {
    PrintStream t = terminal;
    return t != null ? t : System.err;
  }

  /** Whether log lines go to a file now. */
  public static boolean isQuiet() {
    return terminal != null;
  }

  /**
   * Until the returned handle is closed, {@code System.err} appends to {@code logFile} (created with
   * its directory on the first line, so a command that fails early leaves nothing behind), and
   * {@link #err()} stays the terminal. Not nested.
   */
  public static synchronized Quiet quiet(Path logFile) {
    if (terminal != null) {
      throw new IllegalStateException("the terminal is quiet already");
    }
    PrintStream file = new PrintStream(new FileOnFirstWrite(logFile), true, StandardCharsets.UTF_8);
    PrintStream original = System.err;
    terminal = original;
    System.setErr(file);
    return new Quiet(original, file);
  }

  /** A file opened, for appending, when the first byte comes. */
  private static final class FileOnFirstWrite extends OutputStream {
    private final Path file;
    private OutputStream out;

    FileOnFirstWrite(Path file) {
      this.file = file;
    }

    private OutputStream out() throws IOException {
      if (out == null) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
        out = new FileOutputStream(file.toFile(), true);
      }
      return out;
    }

    @Override
    public synchronized void write(int b) throws IOException {
      out().write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      out().write(b, off, len);
    }

    @Override
    public synchronized void flush() throws IOException {
      if (out != null) {
        out.flush();
      }
    }

    @Override
    public synchronized void close() throws IOException {
      if (out != null) {
        out.close();
      }
    }
  }

  /** Puts standard error back on the terminal. */
  public static final class Quiet implements AutoCloseable {
    private final PrintStream original;
    private final PrintStream file;
    private boolean closed;

    private Quiet(PrintStream original, PrintStream file) {
      this.original = original;
      this.file = file;
    }

    @Override
    public void close() {
      synchronized (Terminal.class) {
        if (closed) {
          return;
        }
        closed = true;
        System.setErr(original);
        terminal = null;
      }
      file.close();
    }
  }
}
