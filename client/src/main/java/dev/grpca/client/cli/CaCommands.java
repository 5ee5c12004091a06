package dev.grpca.client.cli;

import dev.grpca.client.GrpcaClient;
import dev.grpca.proto.v1.Authority;
import dev.grpca.proto.v1.GetCaChainRequest;
import dev.grpca.proto.v1.GetCaChainResponse;
import dev.grpca.proto.v1.GetCrlRequest;
import dev.grpca.proto.v1.ListAuthoritiesRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The CAs: their chains, the list of them, their CRLs. */
@Command(
    name = "ca",
    mixinStandardHelpOptions = true,
    description = "The CAs: chain, list, crl.",
    subcommands = {CaCommands.Chain.class, CaCommands.ListCas.class, CaCommands.Crl.class})
final class CaCommands {
  @Command(
      name = "chain",
      mixinStandardHelpOptions = true,
      description = "A CA's chain (PEM, the CA first, the root last), or its root alone.")
  static final class Chain implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Connection connection;

    @Option(names = "--authority", paramLabel = "ID", description = "Default: the default issuer.")
    String authority = "";

    @Option(names = "--root", description = "Only the root: what relying parties trust.")
    boolean root;

    @Override
    public Integer call() throws Exception {
      Grpca grpca = Grpca.of(spec);
      try (GrpcaClient client = connection.connect(grpca.env)) {
        GetCaChainResponse chain =
            client.caChain(GetCaChainRequest.newBuilder().setAuthorityId(authority).build());
        grpca.out.print(root ? chain.getRootPem() : chain.getChainPem());
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Every CA: id, state, parent, expiry, subject (ADMIN).")
  static final class ListCas implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Connection connection;

    @Override
    public Integer call() throws Exception {
      Grpca grpca = Grpca.of(spec);
      try (GrpcaClient client = connection.connect(grpca.env)) {
        for (Authority a :
            client
                .listAuthorities(ListAuthoritiesRequest.getDefaultInstance())
                .getAuthoritiesList()) {
          grpca.out.println(
              String.join(
                  "\t",
                  a.getAuthorityId() + (a.getDefaultIssuer() ? " (default)" : ""),
                  a.getState().name().replace("AUTHORITY_STATE_", "").toLowerCase(),
                  a.getParentAuthorityId().isEmpty() ? "-" : a.getParentAuthorityId(),
                  a.hasNotAfter() ? CertificateCommands.time(a.getNotAfter()) : "-",
                  a.getSubject()));
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "crl",
      mixinStandardHelpOptions = true,
      description = "A CA's latest CRL, PEM (or DER into --out).")
  static final class Crl implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Connection connection;

    @Option(names = "--authority", paramLabel = "ID", description = "Default: the default issuer.")
    String authority = "";

    @Option(names = "--out", paramLabel = "FILE", description = "Write the DER here instead.")
    Path out;

    @Override
    public Integer call() throws Exception {
      Grpca grpca = Grpca.of(spec);
      try (GrpcaClient client = connection.connect(grpca.env)) {
        var crl = client.crl(GetCrlRequest.newBuilder().setAuthorityId(authority).build()).getCrl();
        if (out != null) {
          Files.write(out, crl.getCrlDer().toByteArray());
          grpca.out.println("CRL " + crl.getCrlNumber() + " written to " + out);
        } else {
          grpca.out.print(crl.getCrlPem());
        }
      }
      return ExitCodes.OK;
    }
  }
}
