# connectfed as a container: the static binary alone on an empty image (no
# shell, no package manager), run as an unprivileged user, state in the
# /data volume. `make image` builds the binary first and then this file
# (the build needs no base image to pull):
#
#   make image                          # builds connectfed:latest
#   docker run -p 127.0.0.1:4577:4577 -e CONNECTFED_DEVELOPMENT_KEYS=on connectfed
#
# Inside the container the server listens on every interface
# (0.0.0.0:4577), which is beyond loopback: so the development account and
# the keys published in the README (test/test) are OFF unless you enable
# them with CONNECTFED_DEVELOPMENT_KEYS=on, which you should only do when
# the published port is reachable from the host's loopback alone (-p
# 127.0.0.1:4577:4577, or --network host on a machine of your own).
# Otherwise mount a --config declaring accounts and root keys of your own.
FROM scratch
COPY connectfed /connectfed
COPY --chown=65532:65532 data /data
USER 65532:65532
ENV CONNECTFED_LISTEN=0.0.0.0:4577 \
    CONNECTFED_DATA_DIR=/data \
    CONNECTFED_DEVELOPMENT_KEYS=off \
    CONNECTFED_LOG_FORMAT=json
VOLUME /data
EXPOSE 4577
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/connectfed", "healthcheck"]
ENTRYPOINT ["/connectfed"]
CMD ["serve"]
