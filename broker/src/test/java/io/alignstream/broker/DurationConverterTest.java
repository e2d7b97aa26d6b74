package io.alignstream.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationConverterTest {
  @Test
  void readsTheFormsPeopleWrite() {
    assertEquals(Duration.ofSeconds(90), DurationConverter.parse("90s"));
    assertEquals(Duration.ofMinutes(5), DurationConverter.parse(" 5M "));
    assertEquals(Duration.ofHours(2), DurationConverter.parse("2h"));
    assertEquals(Duration.ofMillis(500), DurationConverter.parse("500ms"));
    assertEquals(Duration.ofMinutes(5), DurationConverter.parse("PT5M"));
  }

  @Test
  void rejectsOthersWithTheAcceptedForms() {
    for (String bad : new String[] {"5", "five minutes", "-3s", "", "3d"}) {
      var e = assertThrows(CommandLine.TypeConversionException.class, () -> DurationConverter.parse(bad), bad);
      assertTrue(e.getMessage().contains("use e.g. 90s, 5m"), e.getMessage());
    }
  }
}
