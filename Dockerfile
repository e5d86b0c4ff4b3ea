# RtrCache container: build and test with the SDK, run on the ASP.NET runtime as a non-root user.
# The full deployment story (Kubernetes, systemd, CI check of this file's commands) is issue 6.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet test tests/RtrCache.Payload.Tests -c Release && dotnet test tests/RtrCache.Rtr.Tests -c Release
RUN dotnet publish src/RtrCache -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
COPY deploy/sample ./sample
# The image's built-in unprivileged user.
USER app
EXPOSE 3323 8323
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8323 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "/app/rtrcache.dll"]
CMD ["serve", "--json", "/app/sample/rpki.json", "--rtr-listen", "0.0.0.0:3323", "--http-listen", "0.0.0.0:8323"]
