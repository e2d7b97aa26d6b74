package io.alignstream.dashboard;

import io.alignstream.schemas.Metric;
import io.alignstream.schemas.RunEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A run's metrics as time series per (name, source), and its most recent events, in memory.
 *
 * <p>Bounded: a series keeps at most {@code maxPointsPerSeries} points. When it is full, the older
 * half is thinned to every second point, so recent history stays at full resolution and a long run
 * still fits, with progressively coarser old history; the first and the latest points are always kept.
 * Only the last {@code maxEvents} events are kept, but the latest event of each kind is remembered
 * for good (the current stage must survive a burst of other events).
 *
 * <p>Thread-safe: one follower thread writes while HTTP threads read snapshots.
 */
public final class MetricsStore {
  /** Points kept per series when not told otherwise: enough for smooth charts, small enough to poll. */
  public static final int DEFAULT_MAX_POINTS = 600;
  /** Events kept when not told otherwise. */
  public static final int DEFAULT_MAX_EVENTS = 200;

  /** One measurement: when (epoch ms), at which step, and the value. */
  public record Point(long timestampMs, long step, double value) {}

  private record SeriesKey(String name, String source) {}

  private final int maxPointsPerSeries;
  private final int maxEvents;
  private final Map<SeriesKey, Series> series = new ConcurrentHashMap<>();
  private final ArrayDeque<RunEvent> events = new ArrayDeque<>(); // guarded by itself; newest last
  private final Map<String, RunEvent> latestByKind = new HashMap<>(); // guarded by events
  private final AtomicLong metricsSeen = new AtomicLong();
  private final AtomicLong eventsSeen = new AtomicLong();
  private final AtomicLong undecodable = new AtomicLong();

  public MetricsStore() {
    this(DEFAULT_MAX_POINTS, DEFAULT_MAX_EVENTS);
  }

  public MetricsStore(int maxPointsPerSeries, int maxEvents) {
    if (maxPointsPerSeries < 4) {
      throw new IllegalArgumentException("maxPointsPerSeries must be at least 4 to thin, got " + maxPointsPerSeries);
    }
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be at least 1, got " + maxEvents);
    }
    this.maxPointsPerSeries = maxPointsPerSeries;
    this.maxEvents = maxEvents;
  }

  public void add(Metric metric) {
    add(metric.getName(), metric.getSource(), new Point(metric.getTimestampMs(), metric.getStep(), metric.getValue()));
  }

  public void add(String name, String source, Point point) {
    series.computeIfAbsent(new SeriesKey(name, source), k -> new Series(maxPointsPerSeries)).add(point);
    metricsSeen.incrementAndGet();
  }

  public void add(RunEvent event) {
    synchronized (events) {
      events.addLast(event);
      while (events.size() > maxEvents) {
        events.removeFirst();
      }
      latestByKind.put(event.getKind(), event);
    }
    eventsSeen.incrementAndGet();
  }

  /** Counts a record that did not decode (it was skipped). */
  public void countUndecodable() {
    undecodable.incrementAndGet();
  }

  /** Every series, by name then source (both sorted), each a copy in time order of arrival. */
  public Map<String, Map<String, List<Point>>> snapshot() {
    var out = new TreeMap<String, Map<String, List<Point>>>();
    series.forEach((key, s) -> out.computeIfAbsent(key.name(), n -> new TreeMap<>()).put(key.source(), s.copy()));
    return out;
  }

  /** One series' points, empty if it was never seen. */
  public List<Point> series(String name, String source) {
    Series s = series.get(new SeriesKey(name, source));
    return s == null ? List.of() : s.copy();
  }

  /** The kept events, newest first. */
  public List<RunEvent> recentEvents() {
    synchronized (events) {
      var out = new ArrayList<RunEvent>(events.size());
      events.descendingIterator().forEachRemaining(out::add);
      return out;
    }
  }

  /** The latest event of {@code kind}, even if it has left the recent events. */
  public Optional<RunEvent> latestEvent(String kind) {
    synchronized (events) {
      return Optional.ofNullable(latestByKind.get(kind));
    }
  }

  /** Metrics added since creation, including points since thinned away. */
  public long metricsSeen() {
    return metricsSeen.get();
  }

  /** Events added since creation, including those no longer kept. */
  public long eventsSeen() {
    return eventsSeen.get();
  }

  /** Records skipped because they did not decode. */
  public long undecodable() {
    return undecodable.get();
  }

  /** One bounded series; its monitor guards the array. */
  private static final class Series {
    private final Point[] points;
    private int size;

    Series(int capacity) {
      points = new Point[capacity];
    }

    synchronized void add(Point p) {
      if (size == points.length) {
        thinOlderHalf();
      }
      points[size++] = p;
    }

    /** Keeps the first point and every second one of the older half; frees a quarter of the capacity. */
    private void thinOlderHalf() {
      int half = size / 2;
      int write = 1; // points[0], the run's first measurement, stays
      for (int read = 2; read < half; read += 2) {
        points[write++] = points[read];
      }
      for (int read = half; read < size; read++) {
        points[write++] = points[read];
      }
      for (int i = write; i < size; i++) {
        points[i] = null;
      }
      size = write;
    }

    synchronized List<Point> copy() {
      return List.of(Arrays.copyOf(points, size));
    }
  }
}
