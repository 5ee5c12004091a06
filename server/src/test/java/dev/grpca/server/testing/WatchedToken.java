package dev.grpca.server.testing;

import dev.grpca.server.hsm.Signer;
import dev.grpca.server.hsm.TokenKey;
import dev.grpca.server.hsm.TokenKeys;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.store.jooq.Database;
import dev.grpca.server.x509.KeyAlgorithm;
import dev.grpca.server.x509.SerialNumbers;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.x509.TBSCertificate;

/**
 * The real token, whose signers look in the database each time they are asked to sign a TBS
 * certificate: is its row there yet, and does it hold these bytes?
 */
public final class WatchedToken implements TokenKeys {
  /**
   * A TBS certificate a key was asked to sign: its row at that moment, and whether the row held
   * those bytes.
   */
  public record Seen(Optional<StoredCertificate> row, boolean recordedTbsMatches) {}

  private final TokenKeys token;
  private final Database database;
  private final Connector connections;

  /** Opens a connection of the test's own to the database. */
  public interface Connector {
    Connection open() throws SQLException;
  }

  private final Map<String, Seen> seen = new ConcurrentHashMap<>();
  private final Map<Signer, Signer> unwrapped = new ConcurrentHashMap<>();
  private final AtomicInteger signatures = new AtomicInteger();

  public WatchedToken(TokenKeys token, Database database, Connector connections) {
    this.token = token;
    this.database = database;
    this.connections = connections;
  }

  public Seen seen(String serial) {
    return seen.get(serial);
  }

  /** TBS certificates signed so far. */
  public int certificateSignatures() {
    return seen.size();
  }

  /** Everything the token's keys signed so far: certificates, OCSP answers, CRLs. */
  public int signatures() {
    return signatures.get();
  }

  @Override
  public Optional<TokenKey> find(String label) {
    return token.find(label).map(k -> new TokenKey(k.label(), watch(k.signer()), k.certificate()));
  }

  @Override
  public Signer generate(KeyAlgorithm algorithm) {
    return watch(token.generate(algorithm));
  }

  @Override
  public void store(String label, Signer signer, X509Certificate certificate) {
    token.store(label, unwrapped.getOrDefault(signer, signer), certificate);
  }

  @Override
  public List<String> labels(String prefix) {
    return token.labels(prefix);
  }

  @Override
  public void delete(String label) {
    token.delete(label);
  }

  private Signer watch(Signer signer) {
    Signer watched =
        new Signer() {
          @Override
          public KeyAlgorithm algorithm() {
            return signer.algorithm();
          }

          @Override
          public java.security.PublicKey publicKey() {
            return signer.publicKey();
          }

          @Override
          public byte[] sign(byte[] data) {
            signatures.incrementAndGet();
            look(data);
            return signer.sign(data);
          }
        };
    unwrapped.put(watched, signer);
    return watched;
  }

  /** Only TBS certificates are of interest: OCSP answers and CRLs are signed too. */
  private void look(byte[] data) {
    TBSCertificate tbs;
    try {
      tbs = TBSCertificate.getInstance(data);
    } catch (RuntimeException notATbsCertificate) {
      return;
    }
    String serial = SerialNumbers.toHex(tbs.getSerialNumber().getValue());
    Optional<StoredCertificate> row = database.certificates().find(serial);
    seen.put(serial, new Seen(row, row.isPresent() && Arrays.equals(recordedTbs(serial), data)));
  }

  /** The TBS bytes in the certificate's row, read through a connection of the test's own. */
  private byte[] recordedTbs(String serial) {
    try (Connection c = connections.open();
        PreparedStatement select =
            c.prepareStatement("SELECT tbs_certificate FROM certificate WHERE serial_number = ?")) {
      select.setString(1, serial);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next() ? Base64.getDecoder().decode(rows.getString(1)) : new byte[0];
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }
}
