module github.com/buildorch/app

go 1.23
