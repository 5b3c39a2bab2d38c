# escape=`
FROM scratch AS a
RUN powershell -Command `
    Write-Host hello; `
    Write-Host world
FROM scratch AS `
b
