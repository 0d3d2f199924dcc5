# relman's image: a static relman on a root file system from Debian 12
# packages (CA certificates, tzdata, busybox), FROM scratch, so it builds
# without pulling a base image. scripts/image.sh makes the build context:
#
#   scripts/image.sh context ctx linux/amd64 linux/arm64   # ctx/linux/amd64/{relman,rootfs/,home/}
#   docker buildx build --platform linux/amd64,linux/arm64 -f Dockerfile ctx
#   scripts/image.sh build relman:dev                      # both steps, this machine's platform
#
# The release builds it that way (.github/workflows/release.yml) and
# internal/cli/image_test.go builds and runs it. action.yml and the GitLab
# components run the published image by tag and digest.
#
# Busybox is at /bin/sh because GitLab runs a job's script with the
# image's shell (the components set entrypoint: ['']). The user is root:
# GitHub runs Docker actions as root, on a workspace only root may write
# (docs.github.com: "Docker actions must be run by the default Docker user
# (root)"). The image also has the user nonroot (65532) for runners that
# allow it (docker run --user 65532, or GitLab's image:docker:user).
FROM scratch
ARG TARGETPLATFORM
COPY ${TARGETPLATFORM}/rootfs/ /
COPY --chown=65532:65532 ${TARGETPLATFORM}/home/ /home/nonroot/
COPY ${TARGETPLATFORM}/relman /usr/local/bin/relman
ENV PATH=/usr/local/bin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# docker run IMAGE tag --dry-run runs a step; the action runs relman action,
# which takes the step from the step input.
ENTRYPOINT ["/usr/local/bin/relman"]
