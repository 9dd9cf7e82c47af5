module mesa

go 1.26.8
