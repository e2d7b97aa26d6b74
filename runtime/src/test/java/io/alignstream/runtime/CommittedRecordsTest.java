package io.alignstream.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.Test;

class CommittedRecordsTest {
  @Test
  void countsAreWrittenAsTheOffsetsMetadataAndReadBack() {
    OffsetAndMetadata o = new CommittedRecords(40, 2).at(57);
    assertEquals(57, o.offset());
    assertEquals("records=40;aside=2", o.metadata());
    assertEquals(new CommittedRecords(40, 2), CommittedRecords.of(o));
    assertEquals(38, CommittedRecords.of(o).processed());
    assertEquals("records=40", new CommittedRecords(40, 0).at(57).metadata(), "no aside part when none was set aside");
    assertEquals(new CommittedRecords(43, 3), new CommittedRecords(40, 2).plus(3, 1));
    assertEquals(CommittedRecords.NONE, CommittedRecords.of(null));
  }

  @Test
  void offsetsCommittedWithoutACountReadAsTheirOffset() {
    // An older client's commit (no metadata): the best guess is the offset, as before counts existed
    assertEquals(57L, CommittedRecords.of(new OffsetAndMetadata(57)).records());
    assertEquals(57L, CommittedRecords.of(new OffsetAndMetadata(57, "someone else's note")).records());
    assertEquals(0L, CommittedRecords.of(new OffsetAndMetadata(57)).aside());
    assertEquals(0L, CommittedRecords.of(new OffsetAndMetadata(57, "records=40")).aside());
    assertEquals(0L, CommittedRecords.of(new OffsetAndMetadata(57, "someone else's note;aside=3")).aside());
    assertEquals(new CommittedRecords(57, 3), CommittedRecords.of(new OffsetAndMetadata(57, "records=x;aside=3")),
        "each count falls back on its own");
  }
}
