package dev.grpca.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.util.JsonFormat;
import dev.grpca.proto.v1.AdminServiceProto;
import dev.grpca.proto.v1.AuthorityServiceProto;
import dev.grpca.proto.v1.CertificateServiceProto;
import dev.grpca.proto.v1.ProfileServiceProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every grpcurl call in the README with a JSON body, parsed the way grpcurl parses it: protobuf's
 * JSON mapping into the method's request type from the descriptors (what server reflection serves),
 * unknown fields refused.
 */
class ReadmeExamplesTest {
  private static final Pattern CALL =
      Pattern.compile("-d '([^']*)'[^\\n]*?\\s(grpca\\.v1\\.\\w+)/(\\w+)");

  @Test
  void everyGrpcurlBodyInTheReadmeParsesAsItsRequest() throws Exception {
    // Shell line continuations joined, as the shell would.
    String readme = Files.readString(Path.of("..", "README.md")).replace("\\\n", " ");
    Map<String, ServiceDescriptor> services = new HashMap<>();
    for (FileDescriptor file :
        new FileDescriptor[] {
          CertificateServiceProto.getDescriptor(),
          ProfileServiceProto.getDescriptor(),
          AuthorityServiceProto.getDescriptor(),
          AdminServiceProto.getDescriptor()
        }) {
      file.getServices().forEach(s -> services.put(s.getFullName(), s));
    }
    TreeSet<String> seen = new TreeSet<>();
    Matcher call = CALL.matcher(readme);
    while (call.find()) {
      ServiceDescriptor service = services.get(call.group(2));
      assertThat(service).as(call.group(2)).isNotNull();
      MethodDescriptor method = service.findMethodByName(call.group(3));
      assertThat(method).as(call.group(0)).isNotNull();
      DynamicMessage.Builder request = DynamicMessage.newBuilder(method.getInputType());
      JsonFormat.parser().merge(call.group(1), request);
      seen.add(service.getName() + "/" + method.getName());
    }
    assertThat(seen)
        .contains(
            "CertificateService/Issue",
            "CertificateService/Status",
            "CertificateService/Revoke",
            "CertificateService/List",
            "CertificateService/Get",
            "CertificateService/Renew",
            "CertificateService/UpdateCertificate",
            "CertificateService/DeleteCertificates",
            "AdminService/Tidy",
            "ProfileService/CreateProfile",
            "ProfileService/UpdateProfile");
  }
}
