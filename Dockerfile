# pgtrickle daemon image (docs/deployment.md). Two stages: Maven builds the command-line jar,
# then a JRE image runs `pgtrickle serve`, configured through PGTRICKLE_* environment variables.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# Only the modules the jar needs; tests run in CI, not in the image build.
RUN mvn -B -ntp -q -pl cli -am package -DskipTests

FROM eclipse-temurin:17-jre
RUN useradd --system --create-home --home-dir /var/lib/pgtrickle pgtrickle
COPY --from=build /src/cli/target/pgtrickle.jar /opt/pgtrickle/pgtrickle.jar
USER pgtrickle
# The journal of changes decoded from the WAL lives on a volume: it must survive restarts.
ENV PGTRICKLE_JOURNAL_DIR=/var/lib/pgtrickle/journal \
    PGTRICKLE_METRICS_PORT=9187
VOLUME /var/lib/pgtrickle
EXPOSE 9187
# /health answers 200 while the database is reachable (docs/daemon.md); bash's /dev/tcp needs no
# extra package in the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PGTRICKLE_METRICS_PORT} && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["java", "-jar", "/opt/pgtrickle/pgtrickle.jar"]
CMD ["serve"]
