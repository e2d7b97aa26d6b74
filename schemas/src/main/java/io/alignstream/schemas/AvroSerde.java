package io.alignstream.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The one serde factory: Avro single-object encoding (header {@code C3 01}, the writer schema's
 * 8-byte fingerprint, then the binary body), so no schema registry is needed.
 *
 * <p>A reader decodes any writer schema it knows: the current one, plus every older version passed
 * to {@link #of(Class, List)}. Records written with an unknown schema fail with a
 * {@link SerializationException} that names the fingerprint, never with garbage.
 */
public final class AvroSerde {
  static {
    // Avro 1.12.2 refuses to instantiate generated classes it does not trust (AVRO-4189).
    ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
        ClassSecurityValidator.getGlobal(),
        c -> c.getName().startsWith(AvroSerde.class.getPackageName() + ".")));
  }

  private AvroSerde() {}

  /** A serde for the generated record class {@code type}, reading its current schema only. */
  public static <T extends SpecificRecordBase> Serde<T> of(Class<T> type) {
    return of(type, List.of());
  }

  /**
   * A serde for {@code type} that also reads records written with {@code olderWriterSchemas}
   * (resolved to the current schema by Avro's schema resolution).
   */
  public static <T extends SpecificRecordBase> Serde<T> of(Class<T> type, List<Schema> olderWriterSchemas) {
    Schema schema = SpecificData.get().getSchema(type);
    SchemaStore.Cache store = new SchemaStore.Cache();
    olderWriterSchemas.forEach(store::addSchema);
    var encoder = new BinaryMessageEncoder<T>(SpecificData.get(), schema);
    var decoder = new BinaryMessageDecoder<T>(SpecificData.get(), schema, store);
    Serializer<T> serializer = (topic, value) -> {
      if (value == null) {
        return null; // a tombstone stays a tombstone
      }
      try {
        ByteBuffer buffer = encoder.encode(value);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    Deserializer<T> deserializer = (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      try {
        return decoder.decode(bytes);
      } catch (IOException | RuntimeException e) {
        throw new SerializationException(
            "cannot decode " + type.getSimpleName() + " from topic " + topic + ": " + e.getMessage(), e);
      }
    };
    return Serdes.serdeFrom(serializer, deserializer);
  }
}
