#!/usr/bin/env bash
# Copies the project's route files and prompt templates into deploy/k8s/config/, where kustomize's
# configMapGenerator can read them (kustomize reads no file outside the kustomization's directory).
# Run it after changing routes/ or prompts/; a new file must also be listed in kustomization.yaml.
# deploy/k8s/config/application.properties is the cluster's own configuration and is not copied.
# DeploymentManifestsTest fails while the copies differ from the originals.
set -euo pipefail
cd "$(dirname "$0")/../.."
cp routes/*.camel.yaml deploy/k8s/config/
cp prompts/*.md deploy/k8s/config/
echo "copied $(ls routes/*.camel.yaml prompts/*.md | wc -l) files into deploy/k8s/config/"
