package dev.grpca.bench;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The reference for CRL building: the same revoked rows read from the same database, put into
 * Bouncy Castle's {@link X509v2CRLBuilder} the way its documentation shows, and signed with a
 * software EC P-256 key (one signature; the token is not what is compared). Run in its own JVM so
 * its heap is its own: {@code BareCrl JDBC_URL} prints "entries millis bytes".
 */
public final class BareCrl {
  private BareCrl() {}

  public static void main(String[] args) throws Exception {
    String jdbcUrl = args[0];
    long start = System.nanoTime();
    X509CRLHolder crl;
    try (Connection db = DriverManager.getConnection(jdbcUrl, "grpca", "")) {
      String authority = RevokedRows.defaultAuthority(db);
      X509CertificateHolder issuer = issuerOf(db, authority);
      Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      X509v2CRLBuilder builder = new X509v2CRLBuilder(issuer.getSubject(), Date.from(now));
      builder.setNextUpdate(Date.from(now.plus(1, ChronoUnit.DAYS)));
      long[] entries = {0};
      RevokedRows.forEach(
          db,
          authority,
          (serial, revoked, reason) -> {
            // Bouncy Castle leaves the reasonCode out for 0 (unspecified), as the server does.
            builder.addCRLEntry(new BigInteger(serial, 16), Date.from(revoked), reason);
            entries[0]++;
          });
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair key = generator.generateKeyPair();
      crl =
          builder.build(
              new JcaContentSignerBuilder("SHA256withECDSA")
                  .setProvider(new BouncyCastleProvider())
                  .build(key.getPrivate()));
      byte[] der = crl.getEncoded();
      long millis = (System.nanoTime() - start) / 1_000_000;
      System.out.println(entries[0] + " " + millis + " " + der.length);
    }
  }

  private static X509CertificateHolder issuerOf(Connection db, String authority) throws Exception {
    try (PreparedStatement query =
        db.prepareStatement("SELECT certificate_pem FROM authority WHERE id = ?")) {
      query.setString(1, authority);
      try (ResultSet rows = query.executeQuery()) {
        rows.next();
        try (PEMParser parser = new PEMParser(new java.io.StringReader(rows.getString(1)))) {
          return (X509CertificateHolder) parser.readObject();
        }
      }
    }
  }
}
