package dev.grpca.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grpca.server.x509.KeyAlgorithm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServerConfigsTest {
  @TempDir Path dir;

  @Test
  void noFileMeansTheDocumentedDefaults() {
    ServerConfig config = ServerConfigs.load(null);
    assertThat(config.grpc().host()).isEqualTo("127.0.0.1");
    assertThat(config.grpc().port()).isEqualTo(8443);
    assertThat(config.grpc().maxInboundMessageBytes()).isEqualTo(1 << 20);
    assertThat(config.dataDir()).isEqualTo(Path.of("var").toAbsolutePath());
    assertThat(config.hsm().pkcs11Config())
        .isEqualTo(config.dataDir().resolve("dev/hsm/pkcs11.cfg"));
    assertThat(config.adminTokenFile()).isEqualTo(config.dataDir().resolve("dev/admin.token"));
    assertThat(config.database().jdbcUrl()).startsWith("jdbc:h2:file:").endsWith(";WRITE_DELAY=0");
    assertThat(config.root().keyAlgorithm()).isEqualTo(KeyAlgorithm.EC_P384);
    assertThat(config.root().lifetime()).isEqualTo(Duration.ofDays(3652));
    assertThat(config.intermediate().keyAlgorithm()).isEqualTo(KeyAlgorithm.EC_P256);
    assertThat(config.intermediate().lifetime()).isEqualTo(Duration.ofDays(1826));
    assertThat(config.profiles())
        .extracting(p -> p.getName())
        .containsExactly("default", "web-server", "mtls-client", "spiffe-workload");
    assertThat(config.requestIdWindow()).isEqualTo(Duration.ofHours(24));
    assertThat(config.tidy())
        .isEqualTo(new ServerConfig.Tidy(true, Duration.ofHours(72), Duration.ofHours(12)));
  }

  @Test
  void aFileOverridesWhatItNames() throws Exception {
    Path file = dir.resolve("grpca.json");
    Files.writeString(
        file,
        """
        {
          "dataDir": "/srv/grpca",
          "grpc": {"port": 9443, "tlsHostNames": ["ca.internal", "10.0.0.5"]},
          "root": {"subject": "CN=Acme Root,O=Acme", "keyType": "KEY_TYPE_RSA_4096", "lifetime": "630720000s"},
          "profiles": [{"name": "web", "defaultLifetime": "3600s", "maxLifetime": "86400s", "extendedKeyUsages": ["EXTENDED_KEY_USAGE_SERVER_AUTH"]}]
        }
        """);
    ServerConfig config = ServerConfigs.load(file);
    assertThat(config.dataDir()).isEqualTo(Path.of("/srv/grpca"));
    assertThat(config.grpc().port()).isEqualTo(9443);
    assertThat(config.grpc().tlsHostNames()).containsExactly("ca.internal", "10.0.0.5");
    assertThat(config.root().keyAlgorithm()).isEqualTo(KeyAlgorithm.RSA_4096);
    assertThat(config.root().subject()).isEqualTo("CN=Acme Root,O=Acme");
    assertThat(config.profiles())
        .singleElement()
        .satisfies(p -> assertThat(p.getName()).isEqualTo("web"));
  }

  @Test
  void theExampleInTheRepositoryLoadsAndEqualsTheDefaults() {
    ServerConfig example = ServerConfigs.load(Path.of("../config/grpca.example.json"));
    ServerConfig defaults = ServerConfigs.load(null);
    assertThat(example.grpc().tlsHostNames()).containsExactly("ca.internal.example");
    assertThat(example.root()).isEqualTo(defaults.root());
    assertThat(example.intermediate()).isEqualTo(defaults.intermediate());
    assertThat(example.profiles()).isEqualTo(defaults.profiles());
    assertThat(example.grpc().port()).isEqualTo(defaults.grpc().port());
    assertThat(example.http()).isEqualTo(defaults.http());
    assertThat(example.crl()).isEqualTo(defaults.crl());
    assertThat(example.ocsp()).isEqualTo(defaults.ocsp());
    assertThat(example.requestIdWindow()).isEqualTo(defaults.requestIdWindow());
    assertThat(example.tidy()).isEqualTo(defaults.tidy());
    assertThat(example.download()).isEqualTo(defaults.download());
    assertThat(defaults.download())
        .isEqualTo(new ServerConfig.Download(Duration.ofMinutes(5), Duration.ofHours(24)));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"grpc\": {\"port\": 70000}} | grpc.port: 70000 (expected: 1..65535)",
        "{\"grpc\": {\"prot\": 1}} | Cannot find field: prot",
        "{\"root\": {\"keyType\": \"KEY_TYPE_ED25519\"}} | root.key_type: KEY_TYPE_ED25519 (expected: an RSA or EC P-256/P-384 key type)",
        "{\"root\": {\"id\": \"Root CA\"}} | root.id: 'Root CA'",
        "{\"root\": {\"id\": \"same\"}, \"intermediate\": {\"id\": \"same\"}} | intermediate.id: 'same' (expected: different from root.id)",
        "{\"intermediate\": {\"lifetime\": \"3600s\"}} | intermediate.lifetime: 1h (expected: >= 1d)",
        "{\"profiles\": [{\"name\": \"web\", \"maxLifetime\": \"60s\", \"extendedKeyUsages\": [\"EXTENDED_KEY_USAGE_SERVER_AUTH\"]}]} | profiles[0]: profile.max_lifetime: 1m (expected: >= default_lifetime 1d)",
        "{\"profiles\": [{\"name\": \"web\"}]} | profiles[0]: profile.extended_key_usages: empty",
        "{\"profiles\": [{\"name\": \"web\", \"allowedIpRanges\": [\"10.0.0.0/33\"], \"extendedKeyUsages\": [\"EXTENDED_KEY_USAGE_SERVER_AUTH\"]}]} | profiles[0]: profile.allowed_ip_ranges[0]: '10.0.0.0/33'",
        "{\"profiles\": [{\"name\": \"Web\"}]} | profiles[0]: profile.name: 'Web'",
        "{\"grpc\": {\"tlsCertificateLifetime\": \"60s\"}} | grpc.tls_certificate_lifetime: 1m (expected: 5m..90d)",
        "{\"ocsp\": {\"signerLifetime\": \"7200s\"}} | ocsp.signer_lifetime: 2h (expected: 3x ocsp.validity (3h) .. 90d)",
        "{\"ocsp\": {\"signer\": \"OCSP_SIGNER_HSM\"}} | Invalid enum value: OCSP_SIGNER_HSM",
        "{\"ocsp\": {\"perRequestAnswersPerMinute\": 2000000}} | ocsp.per_request_answers_per_minute: 2000000 (expected: 1..1000000)",
        "{\"rateLimits\": [{\"principal\": \"*\", \"certificates\": 0}]} | rate_limits[0].certificates: 0 (expected: >= 1)",
        "{\"rateLimits\": [{\"certificates\": 5}]} | rate_limits[0]: neither principal nor profile",
        "{\"idempotency\": {\"window\": \"10s\"}} | idempotency.window: 10s (expected: 1m..30d)",
        "{\"tidy\": {\"buffer\": \"60s\"}} | tidy.buffer: 1m (expected: 1h..3650d)",
        "{\"tidy\": {\"interval\": \"30s\"}} | tidy.interval: 30s (expected: 1m..30d)",
        "{\"grpc\": {\"host\": \"0.0.0.0\", \"plaintext\": true}} | grpc.plaintext: true with grpc.host '0.0.0.0' (expected: plaintext only on a loopback host"
      })
  void badValuesStopStartupWithAMessageNamingTheKey(String json, String message) throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(file, json);
    assertThatThrownBy(() -> ServerConfigs.load(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
