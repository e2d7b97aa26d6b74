package io.alignstream.console;

import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A progress line for long work: done/total, rate, ETA and named figures (loss, reward...).
 *
 * <p>On a terminal it redraws one line in place; when output is redirected (CI, logs) it prints a
 * plain line at most every {@code plainIntervalMillis}, so logs stay readable. Thread-safe: workers
 * may call {@link #step} and {@link #set} concurrently. {@link #close} prints the final line.
 */
public final class ProgressBar implements AutoCloseable {
  private static final int BAR_WIDTH = 24;

  private final String label;
  private final String unit;
  private final long total; // <= 0 when unknown
  private final PrintStream out;
  private final boolean interactive;
  private final long plainIntervalMillis;
  private final LongSupplier clock;
  private final long startNanos;
  private final AtomicLong done = new AtomicLong();
  private final Map<String, String> figures = new LinkedHashMap<>();
  private long lastDrawNanos;
  private boolean closed;

  ProgressBar(String label, long total, String unit, PrintStream out, boolean interactive,
      long plainIntervalMillis, LongSupplier clock) {
    this.label = label;
    this.total = total;
    this.unit = unit;
    this.out = out;
    this.interactive = interactive;
    this.plainIntervalMillis = plainIntervalMillis;
    this.clock = clock;
    this.startNanos = clock.getAsLong();
    this.lastDrawNanos = startNanos;
  }

  /** A bar on the terminal's standard error ({@link Terminal#err()}); redraws in place when a console is attached. */
  public static ProgressBar start(String label, long total, String unit) {
    return new ProgressBar(label, total, unit, Terminal.err(), System.console() != null, 10_000,
        System::nanoTime);
  }

  /** A bar that writes plain lines to {@code out} every {@code intervalMillis} (for services and tests). */
  public static ProgressBar plain(String label, long total, String unit, PrintStream out,
      long intervalMillis) {
    return new ProgressBar(label, total, unit, out, false, intervalMillis, System::nanoTime);
  }

  /** Adds {@code n} units of work done. */
  public void step(long n) {
    done.addAndGet(n);
    maybeDraw();
  }

  /** Sets the absolute amount of work done. */
  public void setDone(long n) {
    done.set(n);
    maybeDraw();
  }

  public long done() {
    return done.get();
  }

  /** Shows a named figure, e.g. {@code set("loss", "%.3f", loss)}. */
  public void set(String name, String format, Object... args) {
    String value = String.format(Locale.ROOT, format, args);
    synchronized (figures) {
      figures.put(name, value);
    }
  }

  private void maybeDraw() {
    long now = clock.getAsLong();
    long intervalNanos = interactive ? 200_000_000L : plainIntervalMillis * 1_000_000L;
    synchronized (this) {
      if (closed || now - lastDrawNanos < intervalNanos) {
        return;
      }
      lastDrawNanos = now;
      draw(now, false);
    }
  }

  private void draw(long now, boolean last) {
    String line = render(now);
    if (interactive) {
      out.print("\r" + line + "\u001b[K" + (last ? "\n" : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** The line as shown at time {@code nowNanos}. */
  String render(long nowNanos) {
    long n = done.get();
    double seconds = Math.max(1e-9, (nowNanos - startNanos) / 1e9);
    double rate = n / seconds;
    StringBuilder sb = new StringBuilder(label).append(' ');
    if (total > 0) {
      double fraction = Math.min(1.0, (double) n / total);
      int filled = (int) Math.round(fraction * BAR_WIDTH);
      sb.append('[').append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ");
      sb.append(String.format(Locale.ROOT, "%3.0f%% %d/%d %s", fraction * 100, n, total, unit));
    } else {
      sb.append(n).append(' ').append(unit);
    }
    sb.append(String.format(Locale.ROOT, " | %s %s/s", compact(rate), unit));
    if (total > 0 && n > 0 && n < total) {
      sb.append(" | ETA ").append(format(Duration.ofMillis((long) ((total - n) / rate * 1000))));
    } else {
      sb.append(" | ").append(format(Duration.ofMillis((long) (seconds * 1000))));
    }
    synchronized (figures) {
      figures.forEach((k, v) -> sb.append(" | ").append(k).append(' ').append(v));
    }
    return sb.toString();
  }

  static String compact(double value) {
    if (value >= 1e6) {
      return String.format(Locale.ROOT, "%.2fM", value / 1e6);
    }
    if (value >= 1e4) {
      return String.format(Locale.ROOT, "%.1fk", value / 1e3);
    }
    return String.format(Locale.ROOT, value >= 100 ? "%.0f" : "%.1f", value);
  }

  static String format(Duration d) {
    long s = d.toSeconds();
    return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      draw(clock.getAsLong(), true);
    }
  }
}
