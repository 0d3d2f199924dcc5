# relman's image. The GitHub Action builds it (action.yml: image: Dockerfile,
# args: [action]); the GitLab components run the published build of it
# (docker build --build-arg VERSION=1.2.3 -t ghcr.io/relman-dev/relman:1.2.3 .).
#
# One static binary (CGO_ENABLED=0, -trimpath) on distroless static: CA
# certificates and tzdata, no libc, no package manager, no git (relman speaks
# git through go-git). The :debug variant adds busybox at /busybox/sh, 1 MB,
# because GitLab runs a job's script with the image's shell; the components
# set entrypoint: ['']. Runs as root: GitHub mounts the workspace and the
# runner's files for root, so no USER.

FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY main.go ./
COPY internal/ internal/
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags="-s -w -X github.com/relman-dev/relman/internal/cli.Version=${VERSION}" \
      -o /out/relman .

FROM gcr.io/distroless/static-debian13:debug
COPY --from=build /out/relman /usr/local/bin/relman
# docker run IMAGE tag --dry-run runs a step; the action runs relman action,
# which takes the step from the step input.
ENTRYPOINT ["/usr/local/bin/relman"]
