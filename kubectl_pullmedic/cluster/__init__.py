"""Reading the cluster: kubeconfig resolution as kubectl does it, the API requests, what each
command reads (bounded calls), and the deletes `clean` decided on. The only layer that talks to
the API server.
"""
