package dev.grpca.server.grpc;

import dev.grpca.proto.v1.CreateProfileRequest;
import dev.grpca.proto.v1.CreateProfileResponse;
import dev.grpca.proto.v1.DeleteProfileRequest;
import dev.grpca.proto.v1.DeleteProfileResponse;
import dev.grpca.proto.v1.GetProfileRequest;
import dev.grpca.proto.v1.GetProfileResponse;
import dev.grpca.proto.v1.ListProfilesRequest;
import dev.grpca.proto.v1.ListProfilesResponse;
import dev.grpca.proto.v1.ProfileServiceGrpc;
import dev.grpca.proto.v1.UpdateProfileRequest;
import dev.grpca.proto.v1.UpdateProfileResponse;
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
    if (!r.hasProfile()) {
      throw CaException.invalid("profile", "required");
    }
    Profile created = catalog.create(r.getProfile(), RequestLog.current().principal());
    response.onNext(CreateProfileResponse.newBuilder().setProfile(created.spec()).build());
    response.onCompleted();
  }

  @Override
  public void getProfile(GetProfileRequest r, StreamObserver<GetProfileResponse> response) {
    response.onNext(
        GetProfileResponse.newBuilder().setProfile(catalog.get(r.getName()).spec()).build());
    response.onCompleted();
  }

  @Override
  public void listProfiles(ListProfilesRequest r, StreamObserver<ListProfilesResponse> response) {
    ListProfilesResponse.Builder answer = ListProfilesResponse.newBuilder();
    catalog.list().forEach(p -> answer.addProfiles(p.spec()));
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void updateProfile(
      UpdateProfileRequest r, StreamObserver<UpdateProfileResponse> response) {
    if (!r.hasProfile()) {
      throw CaException.invalid("profile", "required");
    }
    Profile updated =
        catalog.update(r.getProfile(), r.getUpdateMask(), RequestLog.current().principal());
    response.onNext(UpdateProfileResponse.newBuilder().setProfile(updated.spec()).build());
    response.onCompleted();
  }

  @Override
  public void deleteProfile(
      DeleteProfileRequest r, StreamObserver<DeleteProfileResponse> response) {
    catalog.delete(r.getName(), RequestLog.current().principal());
    response.onNext(DeleteProfileResponse.getDefaultInstance());
    response.onCompleted();
  }
}
