package dev.grpca.server.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Iterator;

/**
 * The audit log's hash chain: each record's hash covers its fields and the hash of the record
 * before, so an edited, inserted or removed record breaks the chain from there on.
 */
public final class AuditChain {
  /** The "previous hash" of the first record. */
  public static final String GENESIS = "0".repeat(64);

  private AuditChain() {}

  /** SHA-256 (hex) over every field but {@code hash}, each length-prefixed. */
  public static String hash(AuditRecord r) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      field(sha, Long.toString(r.sequence()));
      field(sha, Long.toString(ChronoUnit.MICROS.between(java.time.Instant.EPOCH, r.time())));
      field(sha, r.principal());
      field(sha, r.source());
      field(sha, r.rpc());
      field(sha, r.profile());
      field(sha, r.serial());
      field(sha, r.requestId());
      field(sha, r.outcome());
      field(sha, r.detail());
      field(sha, r.previousHash());
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  private static void field(MessageDigest sha, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    sha.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
    sha.update(bytes);
  }

  /** What {@link #verify} found. {@code brokenSequence} is 0 when the chain is intact. */
  public record Verdict(long records, long brokenSequence, String problem) {
    public boolean ok() {
      return brokenSequence == 0;
    }
  }

  /**
   * Walks the records in sequence order and checks each one's number, link and hash, and that the
   * last one is the head the log says it has.
   */
  public static Verdict verify(Iterator<AuditRecord> records, long headSequence, String headHash) {
    long expected = 1;
    String previous = GENESIS;
    while (records.hasNext()) {
      AuditRecord r = records.next();
      if (r.sequence() != expected) {
        return new Verdict(
            expected - 1,
            expected,
            "record " + expected + " is missing (the next one is " + r.sequence() + ")");
      }
      if (!r.previousHash().equals(previous)) {
        return new Verdict(
            expected - 1,
            expected,
            "record " + expected + " does not follow record " + (expected - 1));
      }
      if (!hash(r).equals(r.hash())) {
        return new Verdict(
            expected - 1, expected, "record " + expected + " was changed after it was written");
      }
      previous = r.hash();
      expected++;
    }
    long count = expected - 1;
    if (count != headSequence) {
      return new Verdict(
          count,
          count + 1,
          "the log ends at record " + count + " but record " + headSequence + " was written");
    }
    if (!previous.equals(headHash)) {
      return new Verdict(count, count, "record " + count + " is not the one last written");
    }
    return new Verdict(count, 0, "");
  }
}
