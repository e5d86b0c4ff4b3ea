# RtrCache container: build and test with the SDK, run on the ASP.NET runtime as a non-root user.
#   docker build -t rtrcache:latest .
#   docker run -p 3323:3323 -p 8323:8323 rtrcache:latest                     # the sample data (default CMD)
#   docker run -v rtrcache:/var/lib/rtrcache -p 323:3323 -p 8323:8323 rtrcache:latest \
#       serve --tal-dir /app/tals --cache-dir /var/lib/rtrcache --rtr-listen 0.0.0.0:3323 --http-listen 0.0.0.0:8323
# The second form validates the real RPKI from the five RIR TALs in /app/tals, as deploy/kubernetes does.
# tests/RtrCache.Deploy.Tests runs this file's publish command and CMD (images cannot be pulled in CI).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
# The unit tests that need no third-party programs; the image is not built when they fail.
RUN dotnet test tests/RtrCache.Payload.Tests -c Release && dotnet test tests/RtrCache.Rtr.Tests -c Release
# Also publishes deploy/tals/*.tal to /app/tals (src/RtrCache/RtrCache.csproj).
RUN dotnet publish src/RtrCache -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# rsync: for CAs without RRDP and as the fallback when RRDP fails (the fetcher runs the system binary).
RUN apt-get update && apt-get install -y --no-install-recommends rsync && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
COPY deploy/sample ./sample
# Repository cache and persisted state (--cache-dir). Created here so a fresh volume is owned by the user below.
RUN install -d -o app -g app -m 0750 /var/lib/rtrcache
VOLUME /var/lib/rtrcache
# The image's built-in unprivileged user (UID/GID 1654; deploy/kubernetes sets the same numbers).
USER app
EXPOSE 3323 8323
# No curl in the runtime image: bash's /dev/tcp sends the request. /healthz answers 200 as soon as the host runs.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8323 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "/app/rtrcache.dll"]
CMD ["serve", "--json", "/app/sample/rpki.json", "--cache-dir", "/var/lib/rtrcache", "--rtr-listen", "0.0.0.0:3323", "--http-listen", "0.0.0.0:8323"]
