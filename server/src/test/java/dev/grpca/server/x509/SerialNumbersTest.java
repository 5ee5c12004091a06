package dev.grpca.server.x509;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SerialNumbersTest {
  @Test
  void serialsArePositiveAtMost128BitsAndDistinct() {
    SerialNumbers serials = new SerialNumbers(new SecureRandom());
    Set<BigInteger> seen = new HashSet<>();
    int wide = 0;
    for (int i = 0; i < 2000; i++) {
      BigInteger serial = serials.next();
      assertThat(serial.signum()).isPositive();
      assertThat(serial.bitLength()).isLessThanOrEqualTo(128);
      assertThat(serial.toByteArray().length).isLessThanOrEqualTo(20);
      if (serial.bitLength() > 120) {
        wide++;
      }
      assertThat(seen.add(serial)).isTrue();
    }
    // 128 random bits: almost all serials use the top byte.
    assertThat(wide).isGreaterThan(1900);
  }

  @Test
  void theWireFormIsLowercaseHexAndParsesBack() {
    BigInteger serial = new BigInteger("5E62EB2E44DD0483", 16);
    assertThat(SerialNumbers.toHex(serial)).isEqualTo("5e62eb2e44dd0483");
    assertThat(SerialNumbers.parse("5e62eb2e44dd0483")).isEqualTo(serial);
    assertThat(SerialNumbers.parse("5E:62:EB:2E:44:DD:04:83")).isEqualTo(serial);
    assertThat(SerialNumbers.parse("5e-62-eb-2e-44-dd-04-83")).isEqualTo(serial);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "0", "00", "xyz", "12 34", "-5", "1234567890123456789012345678901234567890ff"})
  void invalidSerialsDoNotParse(String text) {
    assertThat(SerialNumbers.parse(text)).isNull();
  }
}
