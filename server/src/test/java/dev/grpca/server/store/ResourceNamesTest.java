package dev.grpca.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.server.error.CaException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResourceNamesTest {
  @Test
  void generatedNamesAreWellFormedWhateverTheyAreMadeFrom() {
    assertThat(ResourceNames.stem("*.Shop.Example.com")).isEqualTo("shop.example.com");
    assertThat(ResourceNames.stem("My Service (prod)")).isEqualTo("my-service-prod");
    assertThat(ResourceNames.stem("a..b--c.-d")).isEqualTo("a.b-c.d");
    assertThat(ResourceNames.stem("ops@example.com")).isEqualTo("ops-example.com");
    assertThat(ResourceNames.stem("spiffe://example.org/ns/a"))
        .isEqualTo("spiffe-example.org-ns-a");
    assertThat(ResourceNames.stem("***")).isEqualTo("certificate");
    assertThat(ResourceNames.stem("x".repeat(300))).hasSize(122);
    for (String from : List.of("*.a.test", "Ünïcode", "", "10.0.0.1", "::1", "x".repeat(300))) {
      String name = ResourceNames.generate(from, List.of());
      assertThat(ResourceNames.require("name", name)).isEqualTo(name);
    }
    assertThat(ResourceNames.generate("", List.of("b.test"))).matches("b\\.test-[a-z0-9]{5}");
  }

  @Test
  void malformedNamesAreRefusedNamingTheField() {
    for (String bad : List.of("", "A", "-a", "a-", ".a", "a.", "a..b", "a_b", "x".repeat(129))) {
      assertThatThrownBy(() -> ResourceNames.require("name", bad))
          .as(bad)
          .isInstanceOfSatisfying(
              CaException.class, e -> assertThat(e.violations().get(0).field()).isEqualTo("name"));
    }
    assertThat(ResourceNames.require("name", "a")).isEqualTo("a");
    assertThat(ResourceNames.require("name", "x".repeat(128))).hasSize(128);
  }
}
