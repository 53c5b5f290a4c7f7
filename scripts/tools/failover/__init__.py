"""scripts/cluster-failover: keystroke replay against askfind on a 3-node Elasticsearch
cluster while nodes are killed, restarted one by one, and the index is rebuilt with one
node down."""
