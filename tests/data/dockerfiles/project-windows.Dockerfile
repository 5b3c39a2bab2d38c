# escape=`

# A Windows-style multi-stage file: backtick escapes, PowerShell, backslash paths.
ARG WINDOWS_VERSION=ltsc2022
ARG DOTNET_VERSION=8.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}-windowsservercore-${WINDOWS_VERSION} AS sdk
SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue';"]
WORKDIR C:\src\
COPY *.sln .\
COPY src\App\App.csproj src\App\
COPY src\Lib\Lib.csproj src\Lib\
RUN dotnet restore; `
    Write-Host 'restored'

FROM sdk AS build
COPY . .
RUN dotnet build -c Release --no-restore `
      -o C:\out\

FROM build AS test
RUN dotnet test --no-build `
    # a comment inside the continuation
    -c Release

FROM build AS publish
RUN dotnet publish src\App\App.csproj -c Release -o C:\app\
COPY tools\ C:\tools\
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-nanoserver-${WINDOWS_VERSION} AS runtime
WORKDIR C:\app
COPY --from=publish C:\app\ .
ENV ASPNETCORE_URLS=http://+:8080 `
    DOTNET_RUNNING_IN_CONTAINER=true
EXPOSE 8080
USER ContainerUser
ENTRYPOINT ["dotnet", "App.dll"]

FROM runtime AS debug
RUN powershell -Command `
    Set-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control' -Name 'Debug' -Value 1; `
`
    Write-Host 'debug on'
FROM runtime
