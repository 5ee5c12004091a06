package dev.grpca.server.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.proto.v1.ExtendedKeyUsage;
import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.store.ProfileChange;
import dev.grpca.server.store.jooq.Database;
import dev.grpca.server.testing.Engine;
import dev.grpca.server.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Profiles declared in the configuration, on a real H2 store. */
class ProfileCatalogTest {
  @TempDir Path dir;
  private Database database;
  private ProfileCatalog catalog;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T12:00:00Z"));

  @BeforeEach
  void open() {
    Engine engine = Engine.current();
    database = Database.open(engine.freshUrl(dir), engine.user(), engine.password());
    catalog = new ProfileCatalog(database.profiles(), id -> id.equals("issuing-ca"), clock);
  }

  @AfterEach
  void close() {
    database.close();
  }

  @Test
  void declaredProfilesAreCreatedThenUpdatedOnlyWhenTheyChange() {
    catalog.declare(BuiltInProfiles.all());
    assertThat(catalog.list())
        .extracting(Profile::name)
        .containsExactly("default", "mtls-client", "spiffe-workload", "web-server");

    clock.advance(Duration.ofMinutes(1));
    catalog.declare(BuiltInProfiles.all());
    assertThat(database.profiles().changes("web-server"))
        .extracting(ProfileChange::action)
        .containsExactly("CREATE");

    clock.advance(Duration.ofMinutes(1));
    var changed =
        BuiltInProfiles.webServer().toBuilder()
            .clearAllowedDomains()
            .addAllowedDomains("corp.example")
            .build();
    catalog.declare(List.of(changed));
    List<ProfileChange> changes = database.profiles().changes("web-server");
    assertThat(changes).extracting(ProfileChange::action).containsExactly("CREATE", "UPDATE");
    assertThat(changes.get(1).principal()).isEqualTo("config");
    assertThat(changes.get(1).changeTime()).isEqualTo(clock.instant());
    Profile web = catalog.get("web-server");
    assertThat(web.spec().getAllowedDomainsList()).containsExactly("corp.example");
    assertThat(web.spec().getCreateTime().getSeconds())
        .isEqualTo(Instant.parse("2026-11-23T12:00:00Z").getEpochSecond());
    assertThat(web.spec().getUpdateTime().getSeconds()).isEqualTo(clock.instant().getEpochSecond());
  }

  @Test
  void profilesMadeOverTheApiAreLeftAloneByTheConfiguration() {
    catalog.create(
        dev.grpca.proto.v1.Profile.newBuilder()
            .setName("team")
            .setAllowAnyName(true)
            .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_CLIENT_AUTH)
            .build(),
        "alice");
    catalog.declare(BuiltInProfiles.all());
    assertThat(catalog.get("team").spec().getAllowAnyName()).isTrue();
    assertThat(database.profiles().changes("team"))
        .singleElement()
        .satisfies(c -> assertThat(c.principal()).isEqualTo("alice"));
  }

  @Test
  void aProfileNamingAnUnknownAuthorityIsRefused() {
    assertThatThrownBy(
            () ->
                catalog.create(
                    BuiltInProfiles.webServer().toBuilder()
                        .setName("elsewhere")
                        .setAuthorityId("nope")
                        .build(),
                    "alice"))
        .isInstanceOfSatisfying(
            CaException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
              assertThat(e.violations().get(0).field()).isEqualTo("profile.authority_id");
            });
    assertThat(catalog.find("elsewhere")).isEmpty();
    catalog.create(
        BuiltInProfiles.webServer().toBuilder()
            .setName("here")
            .setAuthorityId("issuing-ca")
            .build(),
        "alice");
    assertThat(catalog.get("here").authorityId()).isEqualTo("issuing-ca");
  }

  @Test
  void anUpdateWithoutAMaskReplacesTheWholeProfile() {
    catalog.declare(List.of(BuiltInProfiles.webServer()));
    catalog.update(
        dev.grpca.proto.v1.Profile.newBuilder()
            .setName("web-server")
            .setAllowAnyName(true)
            .addExtendedKeyUsages(ExtendedKeyUsage.EXTENDED_KEY_USAGE_SERVER_AUTH)
            .build(),
        com.google.protobuf.FieldMask.getDefaultInstance(),
        "bob");
    Profile replaced = catalog.get("web-server");
    assertThat(replaced.spec().getAllowedDomainsList()).isEmpty();
    assertThat(replaced.spec().getAllowAnyName()).isTrue();
  }
}
