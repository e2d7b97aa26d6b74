package io.alignstream.dashboard;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.schemas.RunEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.TreeMap;

/**
 * The JSON the page reads. Written with Jackson's streaming generator: the series are the bulk of
 * every poll and need no intermediate tree.
 *
 * <p>{@code /api/metrics}: {@code {name: {source: [[timestampMs, step, value], ...]}}}, names and
 * sources sorted, points in arrival order; a non-finite value is written as {@code null}, since
 * JSON has no NaN and the browser's parser would reject the whole document.
 *
 * <p>{@code /api/events}: {@code {run, stage, metricsSeen, eventsSeen, undecodable, events: [{source,
 * kind, message, timestampMs, attributes}, ...]}}, events newest first; {@code stage} is the latest
 * {@code stage} event (its {@code stage} attribute, else its message) or null.
 */
final class DashboardJson {
  private static final JsonFactory JSON = new ObjectMapper().getFactory();

  private DashboardJson() {}

  static byte[] metrics(MetricsStore store) {
    return write(g -> {
      g.writeStartObject();
      for (var byName : store.snapshot().entrySet()) {
        g.writeObjectFieldStart(byName.getKey());
        for (var bySource : byName.getValue().entrySet()) {
          g.writeArrayFieldStart(bySource.getKey());
          for (MetricsStore.Point p : bySource.getValue()) {
            g.writeStartArray();
            g.writeNumber(p.timestampMs());
            g.writeNumber(p.step());
            if (Double.isFinite(p.value())) {
              g.writeNumber(p.value());
            } else {
              g.writeNull();
            }
            g.writeEndArray();
          }
          g.writeEndArray();
        }
        g.writeEndObject();
      }
      g.writeEndObject();
    });
  }

  static byte[] events(MetricsStore store, String runTitle) {
    List<RunEvent> events = store.recentEvents();
    String stage = store.latestEvent("stage")
        .map(e -> e.getAttributes().getOrDefault("stage", e.getMessage()))
        .orElse(null);
    return write(g -> {
      g.writeStartObject();
      g.writeStringField("run", runTitle);
      g.writeStringField("stage", stage);
      g.writeNumberField("metricsSeen", store.metricsSeen());
      g.writeNumberField("eventsSeen", store.eventsSeen());
      g.writeNumberField("undecodable", store.undecodable());
      g.writeArrayFieldStart("events");
      for (RunEvent e : events) {
        g.writeStartObject();
        g.writeStringField("source", e.getSource());
        g.writeStringField("kind", e.getKind());
        g.writeStringField("message", e.getMessage());
        g.writeNumberField("timestampMs", e.getTimestampMs());
        g.writeObjectFieldStart("attributes");
        for (var a : new TreeMap<>(e.getAttributes()).entrySet()) {
          g.writeStringField(a.getKey(), a.getValue());
        }
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    });
  }

  private interface Body {
    void writeTo(JsonGenerator g) throws IOException;
  }

  private static byte[] write(Body body) {
    var out = new ByteArrayOutputStream(8192);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      body.writeTo(g);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write JSON to memory", e);
    }
    return out.toByteArray();
  }
}
