module github.com/pdbot/pdbot

go 1.26
