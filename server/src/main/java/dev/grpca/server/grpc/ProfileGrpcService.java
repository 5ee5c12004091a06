package dev.grpca.server.grpc;

import dev.grpca.proto.v1.CreateProfileRequest;
import dev.grpca.proto.v1.CreateProfileResponse;
import dev.grpca.proto.v1.DeleteProfileRequest;
import dev.grpca.proto.v1.DeleteProfileResponse;
import dev.grpca.proto.v1.GetProfileRequest;
import dev.grpca.proto.v1.GetProfileResponse;
import dev.grpca.proto.v1.ListProfilesRequest;
import dev.grpca.proto.v1.ListProfilesResponse;
import dev.grpca.proto.v1.Operation;
import dev.grpca.proto.v1.ProfileServiceGrpc;
import dev.grpca.proto.v1.UpdateProfileRequest;
import dev.grpca.proto.v1.UpdateProfileResponse;
import dev.grpca.server.access.Caller;
import dev.grpca.server.error.CaException;
import dev.grpca.server.policy.Profile;
import dev.grpca.server.policy.ProfileCatalog;
import io.grpc.stub.StreamObserver;

/** ProfileService: the catalog's operations, the caller recorded with each change. */
final class ProfileGrpcService extends ProfileServiceGrpc.ProfileServiceImplBase {
  private final ProfileCatalog catalog;

  ProfileGrpcService(ProfileCatalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public void createProfile(
      CreateProfileRequest r, StreamObserver<CreateProfileResponse> response) {
    RequestLog.current().caller().requireAdmin();
    if (!r.hasProfile()) {
      throw CaException.invalid("profile", "required");
    }
    RequestLog.current().profile(r.getProfile().getName());
    Profile created = catalog.create(r.getProfile(), RequestLog.current().principal());
    response.onNext(CreateProfileResponse.newBuilder().setProfile(created.spec()).build());
    response.onCompleted();
  }

  @Override
  public void getProfile(GetProfileRequest r, StreamObserver<GetProfileResponse> response) {
    RequestLog.current().profile(r.getName());
    RequestLog.current().caller().require(Operation.OPERATION_READ, r.getName(), null);
    response.onNext(
        GetProfileResponse.newBuilder().setProfile(catalog.get(r.getName()).spec()).build());
    response.onCompleted();
  }

  @Override
  public void listProfiles(ListProfilesRequest r, StreamObserver<ListProfilesResponse> response) {
    ListProfilesResponse.Builder answer = ListProfilesResponse.newBuilder();
    Caller caller = RequestLog.current().caller();
    catalog.list().stream()
        .filter(p -> caller.allows(Operation.OPERATION_READ, p.name(), null))
        .forEach(p -> answer.addProfiles(p.spec()));
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void updateProfile(
      UpdateProfileRequest r, StreamObserver<UpdateProfileResponse> response) {
    RequestLog.current().caller().requireAdmin();
    if (!r.hasProfile()) {
      throw CaException.invalid("profile", "required");
    }
    RequestLog.current().profile(r.getProfile().getName());
    Profile updated =
        catalog.update(r.getProfile(), r.getUpdateMask(), RequestLog.current().principal());
    response.onNext(UpdateProfileResponse.newBuilder().setProfile(updated.spec()).build());
    response.onCompleted();
  }

  @Override
  public void deleteProfile(
      DeleteProfileRequest r, StreamObserver<DeleteProfileResponse> response) {
    RequestLog.current().caller().requireAdmin();
    RequestLog.current().profile(r.getName());
    catalog.delete(r.getName(), RequestLog.current().principal());
    response.onNext(DeleteProfileResponse.getDefaultInstance());
    response.onCompleted();
  }
}
